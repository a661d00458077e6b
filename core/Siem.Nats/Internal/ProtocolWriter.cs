using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Siem.Nats.Internal;

/// <summary>Formats client commands (CONNECT, PUB, HPUB, SUB, UNSUB, PING, PONG) into a buffer writer.</summary>
internal static class ProtocolWriter
{
    private const int ChunkSize = 16 * 1024;

    public static void WritePub(IBufferWriter<byte> w, string subject, string? replyTo, NatsHeaders? headers, int headerBytes, ReadOnlySpan<byte> data)
    {
        int subjLen = Encoding.UTF8.GetByteCount(subject);
        int replyLen = replyTo is null ? 0 : Encoding.UTF8.GetByteCount(replyTo) + 1;
        int lineMax = 5 + subjLen + replyLen + 2 * 11 + 2 + headerBytes;
        var span = w.GetSpan(lineMax + (data.Length + 2 <= ChunkSize ? data.Length + 2 : 0));
        int n;
        if (headers is null)
        {
            "PUB "u8.CopyTo(span);
            n = 4;
        }
        else
        {
            "HPUB "u8.CopyTo(span);
            n = 5;
        }
        n += Encoding.UTF8.GetBytes(subject, span[n..]);
        span[n++] = (byte)' ';
        if (replyTo is not null)
        {
            n += Encoding.UTF8.GetBytes(replyTo, span[n..]);
            span[n++] = (byte)' ';
        }
        if (headers is not null)
        {
            Utf8Formatter.TryFormat(headerBytes, span[n..], out int h);
            n += h;
            span[n++] = (byte)' ';
        }
        Utf8Formatter.TryFormat(headerBytes + data.Length, span[n..], out int l);
        n += l;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        if (headers is not null) n += headers.Write(span[n..]);
        if (data.Length + 2 <= span.Length - n)
        {
            data.CopyTo(span[n..]);
            n += data.Length;
            span[n++] = (byte)'\r';
            span[n++] = (byte)'\n';
            w.Advance(n);
            return;
        }
        w.Advance(n);
        // Large payloads are copied in chunks so the pipe never needs one huge contiguous segment.
        while (!data.IsEmpty)
        {
            var dest = w.GetSpan(Math.Min(data.Length, ChunkSize));
            int c = Math.Min(dest.Length, data.Length);
            data[..c].CopyTo(dest);
            w.Advance(c);
            data = data[c..];
        }
        "\r\n"u8.CopyTo(w.GetSpan(2));
        w.Advance(2);
    }

    public static void WriteSub(IBufferWriter<byte> w, string subject, string? queueGroup, long sid)
    {
        int max = 4 + Encoding.UTF8.GetMaxByteCount(subject.Length) + (queueGroup is null ? 0 : Encoding.UTF8.GetMaxByteCount(queueGroup.Length) + 1) + 24;
        var span = w.GetSpan(max);
        "SUB "u8.CopyTo(span);
        int n = 4;
        n += Encoding.UTF8.GetBytes(subject, span[n..]);
        span[n++] = (byte)' ';
        if (queueGroup is not null)
        {
            n += Encoding.UTF8.GetBytes(queueGroup, span[n..]);
            span[n++] = (byte)' ';
        }
        Utf8Formatter.TryFormat(sid, span[n..], out int l);
        n += l;
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        w.Advance(n);
    }

    public static void WriteUnsub(IBufferWriter<byte> w, long sid, long? maxMsgs)
    {
        var span = w.GetSpan(64);
        "UNSUB "u8.CopyTo(span);
        int n = 6;
        Utf8Formatter.TryFormat(sid, span[n..], out int l);
        n += l;
        if (maxMsgs is { } max)
        {
            span[n++] = (byte)' ';
            Utf8Formatter.TryFormat(max, span[n..], out l);
            n += l;
        }
        span[n++] = (byte)'\r';
        span[n++] = (byte)'\n';
        w.Advance(n);
    }

    public static void WritePing(IBufferWriter<byte> w) => Write(w, "PING\r\n"u8);

    public static void WritePong(IBufferWriter<byte> w) => Write(w, "PONG\r\n"u8);

    public static void WriteConnect(IBufferWriter<byte> w, ReadOnlySpan<byte> json)
    {
        Write(w, "CONNECT "u8);
        Write(w, json);
        Write(w, "\r\n"u8);
    }

    private static void Write(IBufferWriter<byte> w, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(w.GetSpan(bytes.Length));
        w.Advance(bytes.Length);
    }

    /// <summary>Throws <see cref="ArgumentException"/> for an empty subject or one with whitespace (it would break framing).</summary>
    public static void ValidateSubject(string subject, string paramName)
    {
        ArgumentException.ThrowIfNullOrEmpty(subject, paramName);
        foreach (char c in subject)
        {
            if (c is ' ' or '\t' or '\r' or '\n')
                throw new ArgumentException($"subject '{subject}' contains whitespace; NATS subjects are tokens separated by '.'", paramName);
        }
    }
}
