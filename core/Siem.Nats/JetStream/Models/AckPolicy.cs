using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>How a consumer's messages are acknowledged (JetStream <c>ack_policy</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AckPolicy>))]
public enum AckPolicy
{
    /// <summary>Every message is acknowledged on its own.</summary>
    [JsonStringEnumMemberName("explicit")] Explicit,
    /// <summary>Acknowledging a message acknowledges every earlier one too.</summary>
    [JsonStringEnumMemberName("all")] All,
    /// <summary>No acknowledgements; delivered means done.</summary>
    [JsonStringEnumMemberName("none")] None,
}
