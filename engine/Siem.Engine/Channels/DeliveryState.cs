using System.Text.Json;

namespace Siem.Engine.Channels;

/// <summary>
/// What one channel was last told about one alert, kept in the delivery KV bucket: the count it has, when the last
/// message went out (update pacing), the highest count seen since (so a paced older update yields to a newer one),
/// and whether it was resolved.
/// </summary>
internal sealed record DeliveryState(long Count, long SentUnixMs, long LatestSeen, bool Resolved)
{
    public byte[] ToJson() => JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
    {
        ["count"] = Count,
        ["sent"] = SentUnixMs,
        ["latest"] = LatestSeen,
        ["resolved"] = Resolved,
    });

    public static DeliveryState Parse(ReadOnlySpan<byte> json)
    {
        using var doc = JsonDocument.Parse(json.ToArray());
        var r = doc.RootElement;
        return new DeliveryState(r.GetProperty("count").GetInt64(), r.GetProperty("sent").GetInt64(), r.GetProperty("latest").GetInt64(), r.GetProperty("resolved").GetBoolean());
    }
}
