using System.Buffers;
using System.Buffers.Text;
using System.Text;

namespace Siem.Nats.Internal;

/// <summary>Parses the server side of the NATS client protocol (INFO, MSG, HMSG, PING, PONG, +OK, -ERR) from a
/// <see cref="ReadOnlySequence{T}"/> without allocating: operations are handed to a struct handler as spans/slices.</summary>
internal static class ProtocolParser
{
    /// <summary>Longest control line accepted (INFO of a big cluster is the longest); longer = protocol error.</summary>
    public const int MaxControlLine = 64 * 1024;

    private const int StackLine = 512;

    /// <summary>Parses one operation from the front of <paramref name="buffer"/>. Returns false when the buffer holds only
    /// part of it (nothing consumed); on success <paramref name="buffer"/> is sliced past the operation.</summary>
    public static bool TryParse<THandler>(ref ReadOnlySequence<byte> buffer, ref THandler handler)
        where THandler : struct, IServerOpHandler
    {
        var nl = buffer.PositionOf((byte)'\n');
        if (nl is null)
        {
            if (buffer.Length > MaxControlLine)
                throw new NatsProtocolException($"no end of line within {MaxControlLine} bytes: '{Preview(buffer)}'");
            return false;
        }
        var lineSeq = buffer.Slice(0, nl.Value);
        var afterLine = buffer.Slice(buffer.GetPosition(1, nl.Value));
        if (lineSeq.IsSingleSegment)
            return ParseLine(lineSeq.FirstSpan, ref buffer, afterLine, ref handler);
        int len = checked((int)lineSeq.Length);
        if (len > MaxControlLine) throw new NatsProtocolException($"control line of {len} bytes exceeds {MaxControlLine}");
        byte[]? rented = null;
        Span<byte> line = len <= StackLine ? stackalloc byte[StackLine] : (rented = ArrayPool<byte>.Shared.Rent(len));
        try
        {
            line = line[..len];
            lineSeq.CopyTo(line);
            return ParseLine(line, ref buffer, afterLine, ref handler);
        }
        finally
        {
            if (rented != null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static bool ParseLine<THandler>(ReadOnlySpan<byte> line, ref ReadOnlySequence<byte> buffer, in ReadOnlySequence<byte> afterLine, ref THandler handler)
        where THandler : struct, IServerOpHandler
    {
        if (line.Length > 0 && line[^1] == (byte)'\r') line = line[..^1];
        if (line.Length < 3) throw Unknown(line);
        switch (line[0] | 0x20)
        {
            case 'm' when StartsWithOp(line, "MSG"u8):
                return ParseMsg(line[3..], headers: false, ref buffer, afterLine, ref handler);
            case 'h' when StartsWithOp(line, "HMSG"u8):
                return ParseMsg(line[4..], headers: true, ref buffer, afterLine, ref handler);
            case 'p' when line.Length == 4 && EqualsOp(line, "PING"u8):
                buffer = afterLine;
                handler.OnPing();
                return true;
            case 'p' when line.Length == 4 && EqualsOp(line, "PONG"u8):
                buffer = afterLine;
                handler.OnPong();
                return true;
            case 'i' when StartsWithOp(line, "INFO"u8):
                buffer = afterLine;
                handler.OnInfo(line[4..].Trim((byte)' '));
                return true;
            case '+' when line.Length == 3 && EqualsOp(line, "+OK"u8):
                buffer = afterLine;
                handler.OnOk();
                return true;
            case '-' when StartsWithOp(line, "-ERR"u8):
                buffer = afterLine;
                var text = line[4..].Trim((byte)' ');
                if (text.Length >= 2 && text[0] == (byte)'\'' && text[^1] == (byte)'\'') text = text[1..^1];
                handler.OnErr(text);
                return true;
            default:
                throw Unknown(line);
        }
    }

    // MSG <subject> <sid> [reply-to] <#bytes>  /  HMSG <subject> <sid> [reply-to] <#header bytes> <#total bytes>
    private static bool ParseMsg<THandler>(ReadOnlySpan<byte> args, bool headers, ref ReadOnlySequence<byte> buffer, in ReadOnlySequence<byte> afterLine, ref THandler handler)
        where THandler : struct, IServerOpHandler
    {
        var rest = args;
        var t0 = NextToken(ref rest);
        var t1 = NextToken(ref rest);
        var t2 = NextToken(ref rest);
        var t3 = NextToken(ref rest);
        var t4 = NextToken(ref rest);
        if (!NextToken(ref rest).IsEmpty) throw BadArgs(headers, args);
        scoped ReadOnlySpan<byte> reply = default, hdrLenTok = default, totalTok;
        if (headers)
        {
            if (t3.IsEmpty) throw BadArgs(headers, args);
            if (t4.IsEmpty)
            {
                hdrLenTok = t2;
                totalTok = t3;
            }
            else
            {
                reply = t2;
                hdrLenTok = t3;
                totalTok = t4;
            }
        }
        else
        {
            if (t2.IsEmpty || !t4.IsEmpty) throw BadArgs(headers, args);
            if (t3.IsEmpty)
            {
                totalTok = t2;
            }
            else
            {
                reply = t2;
                totalTok = t3;
            }
        }
        if (!TryParseNumber(t1, out long sid)) throw BadArgs(headers, args);
        if (!TryParseNumber(totalTok, out long total)) throw BadArgs(headers, args);
        long hdrLen = 0;
        if (headers && (!TryParseNumber(hdrLenTok, out hdrLen) || hdrLen > total)) throw BadArgs(headers, args);
        if (afterLine.Length < total + 2) return false;
        var body = afterLine.Slice(0, total);
        var end = afterLine.Slice(total, 2);
        if (!IsCrLf(end)) throw new NatsProtocolException($"{(headers ? "HMSG" : "MSG")} payload of {total} bytes for sid {sid} is not followed by CRLF (stream corrupt)");
        var hdr = body.Slice(0, hdrLen);
        var payload = body.Slice(hdrLen);
        handler.OnMsg(t0, sid, reply, hdr, payload);
        buffer = afterLine.Slice(total + 2);
        return true;
    }

    private static bool IsCrLf(in ReadOnlySequence<byte> two)
    {
        Span<byte> b = stackalloc byte[2];
        two.CopyTo(b);
        return b[0] == (byte)'\r' && b[1] == (byte)'\n';
    }

    private static ReadOnlySpan<byte> NextToken(ref ReadOnlySpan<byte> s)
    {
        int i = 0;
        while (i < s.Length && (s[i] == (byte)' ' || s[i] == (byte)'\t')) i++;
        int start = i;
        while (i < s.Length && s[i] != (byte)' ' && s[i] != (byte)'\t') i++;
        var tok = s[start..i];
        s = s[i..];
        return tok;
    }

    private static bool TryParseNumber(ReadOnlySpan<byte> s, out long value) =>
        Utf8Parser.TryParse(s, out value, out int used) && used == s.Length && value >= 0;

    private static bool StartsWithOp(ReadOnlySpan<byte> line, ReadOnlySpan<byte> op) =>
        line.Length > op.Length && EqualsOp(line[..op.Length], op) && (line[op.Length] == (byte)' ' || line[op.Length] == (byte)'\t');

    private static bool EqualsOp(ReadOnlySpan<byte> s, ReadOnlySpan<byte> op)
    {
        if (s.Length < op.Length) return false;
        for (int i = 0; i < op.Length; i++)
        {
            int c = s[i];
            if (c >= 'a' && c <= 'z') c -= 0x20;
            if (c != op[i]) return false;
        }
        return true;
    }

    private static NatsProtocolException Unknown(ReadOnlySpan<byte> line) =>
        new($"unknown protocol operation from server: '{Encoding.UTF8.GetString(line[..Math.Min(line.Length, 80)])}'");

    private static NatsProtocolException BadArgs(bool headers, ReadOnlySpan<byte> args) =>
        new($"malformed {(headers ? "HMSG" : "MSG")} arguments: '{Encoding.UTF8.GetString(args[..Math.Min(args.Length, 200)])}'");

    private static string Preview(in ReadOnlySequence<byte> b)
    {
        var s = b.Slice(0, Math.Min(b.Length, 60));
        return Encoding.UTF8.GetString(s.ToArray());
    }
}
