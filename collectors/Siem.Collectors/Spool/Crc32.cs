using System.Runtime.Intrinsics.X86;

namespace Siem.Collectors.Spool;

/// <summary>
/// CRC-32 (IEEE 802.3, reflected 0xEDB88320) — System.IO.Hashing is not in the BCL. Slicing-by-8: every batch is
/// checked on append and again on read, and the byte-at-a-time loop was ~9% of the agent's CPU. Where the CPU has
/// carry-less multiply, long inputs are folded 64 bytes at a time (Crc32.Fold.cs); the tail goes through the tables.
/// </summary>
internal static partial class Crc32
{
    private static readonly uint[] Table = BuildTable();

    /// <summary>CRC of <paramref name="data"/>; pass the CRC of what came before it as <paramref name="previous"/> to
    /// continue over several pieces (Compute(b, Compute(a)) == Compute(a | b)).</summary>
    public static uint Compute(ReadOnlySpan<byte> data, uint previous = 0)
    {
        var t = Table;
        var crc = ~previous;
        if (data.Length >= 64 && Pclmulqdq.IsSupported)
        {
            var folded = data.Length & ~15;
            crc = Fold(data[..folded], crc);
            data = data[folded..];
        }
        while (data.Length >= 8)
        {
            var lo = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data) ^ crc;
            var hi = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(data[4..]);
            crc = t[(7 * 256) + (lo & 0xFF)] ^ t[(6 * 256) + ((lo >> 8) & 0xFF)] ^ t[(5 * 256) + ((lo >> 16) & 0xFF)] ^ t[(4 * 256) + (lo >> 24)]
                ^ t[(3 * 256) + (hi & 0xFF)] ^ t[(2 * 256) + ((hi >> 8) & 0xFF)] ^ t[256 + ((hi >> 16) & 0xFF)] ^ t[hi >> 24];
            data = data[8..];
        }
        foreach (var b in data) crc = t[(crc ^ b) & 0xFF] ^ (crc >> 8);
        return ~crc;
    }

    /// <summary>Table k (k = 0..7) at [k * 256]: the CRC of a byte followed by k zero bytes.</summary>
    private static uint[] BuildTable()
    {
        var table = new uint[8 * 256];
        for (uint i = 0; i < 256; i++)
        {
            var c = i;
            for (var k = 0; k < 8; k++) c = (c & 1) != 0 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        for (var i = 0; i < 256; i++)
        {
            for (var k = 1; k < 8; k++) table[(k * 256) + i] = (table[((k - 1) * 256) + i] >> 8) ^ table[table[((k - 1) * 256) + i] & 0xFF];
        }
        return table;
    }
}
