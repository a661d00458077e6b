using System.Text;

namespace Siem.Nats.JetStream.Internal;

/// <summary>Parses a stored header block (<c>NATS/1.0[ code desc]\r\nKey: Value\r\n...\r\n\r\n</c>) as returned base64 by MSG.GET.</summary>
internal static class HeaderParser
{
    public static NatsHeaders Parse(ReadOnlySpan<byte> block)
    {
        var text = Encoding.UTF8.GetString(block);
        var headers = new NatsHeaders();
        var lines = text.Split("\r\n");
        if (lines.Length == 0 || !lines[0].StartsWith("NATS/1.0", StringComparison.Ordinal))
            throw new NatsJSException($"stored message headers do not start with NATS/1.0: '{lines.FirstOrDefault()}'");
        for (int i = 1; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.Length == 0) continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0) throw new NatsJSException($"stored message header line {i} has no 'name:': '{line}'");
            headers.Add(line[..colon].Trim(), line[(colon + 1)..].Trim());
        }
        return headers;
    }
}
