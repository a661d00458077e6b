using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>Delivery pace of stored messages (JetStream <c>replay_policy</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ReplayPolicy>))]
public enum ReplayPolicy
{
    [JsonStringEnumMemberName("instant")] Instant,
    [JsonStringEnumMemberName("original")] Original,
}
