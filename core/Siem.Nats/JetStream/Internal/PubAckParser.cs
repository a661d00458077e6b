using System.Text;
using System.Text.Json;

namespace Siem.Nats.JetStream.Internal;

/// <summary>
/// Decodes a PubAck (<c>{"stream":"S","seq":7,"duplicate":true}</c> or <c>{"error":{...}}</c>) by hand: it is on
/// the hot path of every acknowledged publish, so no reflection and, with <c>streamCache</c>, no string per ack.
/// </summary>
internal static class PubAckParser
{
    public static Exception? TryParse(NatsMsg reply, string subject, ref string? streamCache, out PubAck? ack)
    {
        ack = null;
        if (reply.Data.Length == 0)
        {
            int code = reply.Headers?.Code ?? 0;
            if (code == 503)
                return new NatsNoRespondersException($"publish to '{subject}': no stream stores this subject (no responders)");
            return new NatsJSException($"publish to '{subject}': empty PubAck (status {code} {reply.Headers?.Description})");
        }
        try
        {
            var reader = new Utf8JsonReader(reply.Data.Span);
            string? stream = null;
            ulong seq = 0;
            bool duplicate = false;
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return Bad(reply, subject);
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("stream"u8))
                {
                    reader.Read();
                    if (streamCache is not null && reader.ValueTextEquals(streamCache)) stream = streamCache;
                    else stream = streamCache = reader.GetString();
                }
                else if (reader.ValueTextEquals("seq"u8))
                {
                    reader.Read();
                    seq = reader.GetUInt64();
                }
                else if (reader.ValueTextEquals("duplicate"u8))
                {
                    reader.Read();
                    duplicate = reader.GetBoolean();
                }
                else if (reader.ValueTextEquals("error"u8))
                {
                    return ParseError(ref reader, subject);
                }
                else
                {
                    reader.Read();
                    reader.TrySkip();
                }
            }
            if (stream is null || seq == 0) return Bad(reply, subject);
            ack = new PubAck(stream, seq, duplicate);
            return null;
        }
        catch (JsonException)
        {
            return Bad(reply, subject);
        }
        catch (InvalidOperationException)
        {
            return Bad(reply, subject);
        }
    }

    private static NatsJSApiException ParseError(ref Utf8JsonReader reader, string subject)
    {
        int code = 0, errCode = 0;
        string description = "";
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("code"u8)) { reader.Read(); code = reader.GetInt32(); }
            else if (reader.ValueTextEquals("err_code"u8)) { reader.Read(); errCode = reader.GetInt32(); }
            else if (reader.ValueTextEquals("description"u8)) { reader.Read(); description = reader.GetString() ?? ""; }
            else { reader.Read(); reader.TrySkip(); }
        }
        return new NatsJSApiException(code, errCode, description, $"publish to '{subject}'");
    }

    private static NatsJSException Bad(NatsMsg reply, string subject)
        => new($"publish to '{subject}': malformed PubAck '{Encoding.UTF8.GetString(reply.Data.Span[..Math.Min(200, reply.Data.Length)])}'");
}
