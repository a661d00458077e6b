using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>What a stream does when a limit is reached (JetStream <c>discard</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DiscardPolicy>))]
public enum DiscardPolicy
{
    /// <summary>Drop the oldest messages.</summary>
    [JsonStringEnumMemberName("old")] Old,
    /// <summary>Refuse new messages (the publish gets an error PubAck).</summary>
    [JsonStringEnumMemberName("new")] New,
}
