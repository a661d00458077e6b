using System.Security.Cryptography;
using System.Text;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Deterministic record ids: the same line re-read after a crash (same agent, stream and offset) gets the same id,
/// so the index (record id = document id) and JetStream dedupe retries instead of duplicating them.
/// </summary>
public static class RecordIds
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyz234567";

    /// <summary>SHA-256 of agent id, source key, offset and sub-index, first 128 bits as 26 lowercase base32 characters.</summary>
    /// <param name="subIndex">Distinguishes several events made from one line (e.g. "message repeated 3 times").</param>
    public static string For(string agentId, string sourceKey, long offset, int subIndex = 0)
    {
        ArgumentNullException.ThrowIfNull(agentId);
        ArgumentNullException.ThrowIfNull(sourceKey);
        // Length-prefixed fields so ("a","bc") and ("ab","c") can never collide.
        int max = 8 + Encoding.UTF8.GetMaxByteCount(agentId.Length) + Encoding.UTF8.GetMaxByteCount(sourceKey.Length) + 12;
        byte[]? rented = max > 1024 ? System.Buffers.ArrayPool<byte>.Shared.Rent(max) : null;
        Span<byte> buffer = rented ?? stackalloc byte[1024];
        try
        {
            int n = 0;
            n += WriteString(buffer[n..], agentId);
            n += WriteString(buffer[n..], sourceKey);
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(buffer[n..], offset);
            n += 8;
            System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(buffer[n..], subIndex);
            n += 4;
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(buffer[..n], hash);
            return Base32(hash[..16]);
        }
        finally
        {
            if (rented is not null)
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static int WriteString(Span<byte> destination, string value)
    {
        int written = Encoding.UTF8.GetBytes(value, destination[4..]);
        System.Buffers.Binary.BinaryPrimitives.WriteInt32BigEndian(destination, written);
        return written + 4;
    }

    private static string Base32(ReadOnlySpan<byte> bytes)
    {
        // 128 bits → 26 characters (the last one carries 3 bits).
        Span<char> chars = stackalloc char[26];
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
        return new string(chars);
    }
}
