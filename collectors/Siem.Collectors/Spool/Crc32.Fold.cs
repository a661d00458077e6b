using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Siem.Collectors.Spool;

internal static partial class Crc32
{
    // Folding constants for the reflected IEEE polynomial (Intel, "Fast CRC Computation for Generic Polynomials Using
    // PCLMULQDQ"; the same values as zlib's and the Linux kernel's crc32 folding): x^(4*128+32), x^(4*128-32) mod P;
    // x^(128+32), x^(128-32) mod P; x^64 mod P; P' and mu for the Barrett reduction.
    private static readonly Vector128<ulong> K1K2 = Vector128.Create(0x0154442bd4UL, 0x01c6e41596UL);
    private static readonly Vector128<ulong> K3K4 = Vector128.Create(0x01751997d0UL, 0x00ccaa009eUL);
    private static readonly Vector128<ulong> K5K0 = Vector128.Create(0x0163cd6124UL, 0UL);
    private static readonly Vector128<ulong> PolyMu = Vector128.Create(0x01db710641UL, 0x01f7011641UL);

    /// <summary>Continues the (pre-inverted) CRC state over <paramref name="data"/>: length &gt;= 64 and a multiple of 16.</summary>
    private static uint Fold(ReadOnlySpan<byte> data, uint crc)
    {
        ref var start = ref MemoryMarshal.GetReference(data);
        nuint at = 0;
        var length = (nuint)data.Length;
        var x1 = Load(ref start, 0) ^ Vector128.CreateScalar(crc).AsUInt64();
        var x2 = Load(ref start, 16);
        var x3 = Load(ref start, 32);
        var x4 = Load(ref start, 48);
        at = 64;
        var k = K1K2;
        while (length - at >= 64)
        {
            x1 = FoldInto(x1, k, Load(ref start, at));
            x2 = FoldInto(x2, k, Load(ref start, at + 16));
            x3 = FoldInto(x3, k, Load(ref start, at + 32));
            x4 = FoldInto(x4, k, Load(ref start, at + 48));
            at += 64;
        }

        k = K3K4;
        x1 = FoldInto(x1, k, x2);
        x1 = FoldInto(x1, k, x3);
        x1 = FoldInto(x1, k, x4);
        while (length - at >= 16)
        {
            x1 = FoldInto(x1, k, Load(ref start, at));
            at += 16;
        }

        // 128 -> 64 bits.
        var mask = Vector128.Create(0xFFFFFFFFu, 0u, 0xFFFFFFFFu, 0u).AsUInt64();
        var x = Pclmulqdq.CarrylessMultiply(x1, k, 0x10);
        x1 = Sse2.ShiftRightLogical128BitLane(x1.AsByte(), 8).AsUInt64() ^ x;
        x = Sse2.ShiftRightLogical128BitLane(x1.AsByte(), 4).AsUInt64();
        x1 = Pclmulqdq.CarrylessMultiply(x1 & mask, K5K0, 0x00) ^ x;

        // Barrett reduction to 32 bits.
        x = Pclmulqdq.CarrylessMultiply(x1 & mask, PolyMu, 0x10);
        x = Pclmulqdq.CarrylessMultiply(x & mask, PolyMu, 0x00);
        return (x1 ^ x).AsUInt32().GetElement(1);
    }

    private static Vector128<ulong> FoldInto(Vector128<ulong> acc, Vector128<ulong> k, Vector128<ulong> next) =>
        Pclmulqdq.CarrylessMultiply(acc, k, 0x00) ^ Pclmulqdq.CarrylessMultiply(acc, k, 0x11) ^ next;

    private static Vector128<ulong> Load(ref byte start, nuint offset) => Vector128.LoadUnsafe(ref start, offset).AsUInt64();
}
