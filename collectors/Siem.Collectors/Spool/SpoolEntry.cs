using System.Buffers.Binary;
using System.Text;
using Siem.Core.Envelope;

namespace Siem.Collectors.Spool;

/// <summary>
/// One spooled batch: the subject, the record count (so drops can be counted in records), the already
/// sealed envelope — the spool never holds plaintext — and its coverage: per source stream the resume offset
/// after its last line, so that after a crash lines already in the spool are not batched a second time.
/// A batch with no records (<see cref="IsMarksOnly"/>) only carries checkpoints forward and is never published.
/// Payload layout (little endian): u8 version=1 | u64 seq | u32 records | u16 subject len | subject | u8 header count |
/// (u16 len | name | u16 len | value)* | u16 coverage count | (u16 len | source key | i64 next offset)* | body.
/// </summary>
internal sealed record SpoolEntry(string Subject, int RecordCount, SealedEnvelope Envelope)
{
    private const byte Version = 1;

    public IReadOnlyList<KeyValuePair<string, long>> Coverage { get; init; } = [];

    public bool IsMarksOnly => RecordCount == 0 && Envelope.Body.Length == 0;

    /// <summary>Bytes this entry occupies in its segment (set when read back; not serialised).</summary>
    public int StoredSize { get; init; }

    /// <summary>The whole payload in one array (tests, tools); the spool writes <see cref="EncodePrefix"/> and the body without joining them.</summary>
    public byte[] Encode() => [.. EncodePrefix(), .. Envelope.Body];

    /// <summary>Everything of the payload before the envelope body.</summary>
    public byte[] EncodePrefix()
    {
        var subject = Encoding.UTF8.GetBytes(Subject);
        var headers = Envelope.Headers.Select(h => (Encoding.UTF8.GetBytes(h.Key), Encoding.UTF8.GetBytes(h.Value))).ToArray();
        var coverage = Coverage.Select(c => (Encoding.UTF8.GetBytes(c.Key), c.Value)).ToArray();
        var length = 1 + 8 + 4 + 2 + subject.Length + 1 + headers.Sum(h => 4 + h.Item1.Length + h.Item2.Length)
            + 2 + coverage.Sum(c => 2 + c.Item1.Length + 8);
        var buffer = new byte[length];
        var span = buffer.AsSpan();
        span[0] = Version;
        BinaryPrimitives.WriteUInt64LittleEndian(span[1..], Envelope.BatchSeq);
        BinaryPrimitives.WriteInt32LittleEndian(span[9..], RecordCount);
        var pos = 13;
        WriteChunk(span, ref pos, subject);
        span[pos++] = checked((byte)headers.Length);
        foreach (var (name, value) in headers)
        {
            WriteChunk(span, ref pos, name);
            WriteChunk(span, ref pos, value);
        }
        BinaryPrimitives.WriteUInt16LittleEndian(span[pos..], checked((ushort)coverage.Length));
        pos += 2;
        foreach (var (key, next) in coverage)
        {
            WriteChunk(span, ref pos, key);
            BinaryPrimitives.WriteInt64LittleEndian(span[pos..], next);
            pos += 8;
        }
        return buffer;
    }

    /// <summary>Decodes a payload whose CRC already matched; a structurally bad one is <see cref="InvalidDataException"/>.</summary>
    public static SpoolEntry Decode(ReadOnlySpan<byte> payload, int storedSize = 0)
    {
        try
        {
            if (payload[0] != Version) throw new InvalidDataException($"spool record version {payload[0]} is not supported");
            var seq = BinaryPrimitives.ReadUInt64LittleEndian(payload[1..]);
            var records = BinaryPrimitives.ReadInt32LittleEndian(payload[9..]);
            var pos = 13;
            var subject = ReadChunk(payload, ref pos);
            var count = payload[pos++];
            var headers = new KeyValuePair<string, string>[count];
            string? msgId = null;
            for (var i = 0; i < count; i++)
            {
                headers[i] = new(ReadChunk(payload, ref pos), ReadChunk(payload, ref pos));
                if (headers[i].Key == EnvelopeFormat.HeaderMsgId) msgId = headers[i].Value;
            }
            var coverageCount = BinaryPrimitives.ReadUInt16LittleEndian(payload[pos..]);
            pos += 2;
            var coverage = new KeyValuePair<string, long>[coverageCount];
            for (var i = 0; i < coverageCount; i++)
            {
                var key = ReadChunk(payload, ref pos);
                coverage[i] = new(key, BinaryPrimitives.ReadInt64LittleEndian(payload[pos..]));
                pos += 8;
            }
            var envelope = new SealedEnvelope(headers, payload[pos..].ToArray(), msgId ?? "") { BatchSeq = seq };
            return new SpoolEntry(subject, records, envelope) { Coverage = coverage, StoredSize = storedSize };
        }
        catch (ArgumentOutOfRangeException e)
        {
            throw new InvalidDataException("spool record is shorter than its fields say", e);
        }
    }

    private static void WriteChunk(Span<byte> span, ref int pos, byte[] chunk)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(span[pos..], checked((ushort)chunk.Length));
        chunk.CopyTo(span[(pos + 2)..]);
        pos += 2 + chunk.Length;
    }

    private static string ReadChunk(ReadOnlySpan<byte> span, ref int pos)
    {
        var len = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
        var s = Encoding.UTF8.GetString(span.Slice(pos + 2, len));
        pos += 2 + len;
        return s;
    }
}
