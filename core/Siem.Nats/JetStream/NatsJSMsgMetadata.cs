using System.Globalization;

namespace Siem.Nats.JetStream;

/// <summary>Delivery facts encoded in a JetStream message's ack subject (<c>$JS.ACK.&lt;stream&gt;.&lt;consumer&gt;.&lt;delivered&gt;.&lt;sseq&gt;.&lt;cseq&gt;.&lt;ts&gt;.&lt;pending&gt;</c>).</summary>
public sealed record NatsJSMsgMetadata(string Stream, string Consumer, ulong StreamSeq, ulong ConsumerSeq, ulong NumDelivered, ulong NumPending, DateTimeOffset Timestamp, string? Domain = null)
{
    /// <summary>Parses both the v1 (9 tokens) and the v2 (with domain and account hash, 11+ tokens) ack subject forms.</summary>
    public static NatsJSMsgMetadata Parse(string ackSubject)
    {
        ArgumentNullException.ThrowIfNull(ackSubject);
        var t = ackSubject.Split('.');
        if (t.Length < 9 || t[0] != "$JS" || t[1] != "ACK")
            throw new FormatException($"'{ackSubject}' is not a JetStream ack subject ($JS.ACK.<stream>.<consumer>...)");
        int o = t.Length == 9 ? 2 : 4;
        if (t.Length < o + 7) throw new FormatException($"ack subject '{ackSubject}' has {t.Length} tokens; expected 9 or at least 11");
        string? domain = o == 4 && t[2] != "_" ? t[2] : null;
        long nanos = long.Parse(t[o + 5], NumberStyles.None, CultureInfo.InvariantCulture);
        return new NatsJSMsgMetadata(
            t[o], t[o + 1],
            StreamSeq: U(t[o + 3]), ConsumerSeq: U(t[o + 4]), NumDelivered: U(t[o + 2]), NumPending: U(t[o + 6]),
            Timestamp: DateTimeOffset.UnixEpoch.AddTicks(nanos / 100),
            Domain: domain);
    }

    private static ulong U(string s) => ulong.Parse(s, NumberStyles.None, CultureInfo.InvariantCulture);
}
