using System.Buffers;
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Deterministic record ids: the same line re-read after a crash (same agent, stream and offset) gets the same id,
/// so the index (record id = document id) and JetStream dedupe retries instead of duplicating them.
/// </summary>
/// <remarks>
/// An id is 128 bits as 26 lowercase base32 characters: the first 80 bits of SHA-256 over the length-prefixed agent id
/// and source key (the stream), then the offset (40 bits) and the sub-index (8 bits). Within a stream ids are distinct
/// by construction; two streams collide only if their 80-bit stream hashes do. The stream part is hashed once per
/// stream, not per line (one SHA-256 per line was ~1 µs of the agent's ~15 µs per line). Offsets from 2^40 (1 TiB)
/// on, sub-indexes from 256 on, or negative values take the whole SHA-256 of all four fields instead.
/// </remarks>
public static class RecordIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";
    private const int StreamChars = 16; // 80 bits
    private const long MaxCompactOffset = 1L << 40;
    private const int MaxCompactSubIndex = 256;

    // Lines of one stream come in runs (a source reads a chunk of one file at a time): remembering the last stream
    // per thread saves nearly every stream hash.
    [ThreadStatic]
    private static string? t_agentId;
    [ThreadStatic]
    private static string? t_sourceKey;
    [ThreadStatic]
    private static string? t_streamChars;

    /// <param name="subIndex">Distinguishes several events made from one line (e.g. "message repeated 3 times").</param>
    public static string For(string agentId, string sourceKey, long offset, int subIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        ArgumentNullException.ThrowIfNull(sourceKey);
        if (offset is < 0 or >= MaxCompactOffset || subIndex is < 0 or >= MaxCompactSubIndex)
        {
            return Hashed(agentId, sourceKey, offset, subIndex);
        }
        var stream = StreamChars16(agentId, sourceKey);
        return string.Create(26, (stream, offset, subIndex), static (chars, state) =>
        {
            state.stream.AsSpan().CopyTo(chars);
            Span<byte> tail = stackalloc byte[8];
            BinaryPrimitives.WriteInt64BigEndian(tail, (state.offset << 8) | (uint)state.subIndex);
            Base32(tail[2..], chars[StreamChars..]); // 48 bits: 5 bytes of offset, 1 of sub-index
        });
    }

    private static string StreamChars16(string agentId, string sourceKey)
    {
        if (t_streamChars is { } cached && string.Equals(t_agentId, agentId, StringComparison.Ordinal) && string.Equals(t_sourceKey, sourceKey, StringComparison.Ordinal))
        {
            return cached;
        }
        Span<byte> hash = stackalloc byte[32];
        HashFields(agentId, sourceKey, tail: [], hash);
        Span<char> chars = stackalloc char[StreamChars];
        Base32(hash[..10], chars);
        t_agentId = agentId;
        t_sourceKey = sourceKey;
        return t_streamChars = new string(chars);
    }

    private static string Hashed(string agentId, string sourceKey, long offset, int subIndex)
    {
        Span<byte> tail = stackalloc byte[12];
        BinaryPrimitives.WriteInt64BigEndian(tail, offset);
        BinaryPrimitives.WriteInt32BigEndian(tail[8..], subIndex);
        Span<byte> hash = stackalloc byte[32];
        HashFields(agentId, sourceKey, tail, hash);
        Span<char> chars = stackalloc char[26];
        Base32(hash[..16], chars);
        return new string(chars);
    }

    /// <summary>SHA-256 of the length-prefixed agent id and source key (so ("a","bc") and ("ab","c") never collide), then <paramref name="tail"/>.</summary>
    private static void HashFields(string agentId, string sourceKey, ReadOnlySpan<byte> tail, Span<byte> hash)
    {
        int max = 8 + Encoding.UTF8.GetMaxByteCount(agentId.Length) + Encoding.UTF8.GetMaxByteCount(sourceKey.Length) + tail.Length;
        byte[]? rented = max > 1024 ? ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        try
        {
            int n = WriteString(buffer, agentId);
            n += WriteString(buffer[n..], sourceKey);
            tail.CopyTo(buffer[n..]);
            SHA256.HashData(buffer[..(n + tail.Length)], hash);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        int written = Encoding.UTF8.GetBytes(value, destination[4..]);
        BinaryPrimitives.WriteInt32BigEndian(destination, written);
        return written + 4;
    }

    /// <summary>Big-endian bit order; a last partial group is padded with zero bits.</summary>
    private static void Base32(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        int bitBuffer = 0, bits = 0, c = 0;
        foreach (byte b in bytes)
        {
            bitBuffer = (bitBuffer << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[c++] = Alphabet[(bitBuffer >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0)
        {
            chars[c] = Alphabet[(bitBuffer << (5 - bits)) & 31];
        }
    }
}
