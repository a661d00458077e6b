using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>When the stream may discard messages (JetStream <c>retention</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RetentionPolicy>))]
public enum RetentionPolicy
{
    /// <summary>Keep messages until a limit (count, bytes, age) is reached.</summary>
    [JsonStringEnumMemberName("limits")] Limits,
    /// <summary>Keep messages while a consumer is interested in them.</summary>
    [JsonStringEnumMemberName("interest")] Interest,
    /// <summary>Remove a message once a consumer acknowledged it (one consumer per subject).</summary>
    [JsonStringEnumMemberName("workqueue")] WorkQueue,
}
