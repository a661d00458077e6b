namespace Siem.Nats.Internal;

/// <summary>RFC 4648 base32 without padding (as Go's base32.StdEncoding.WithPadding(NoPadding)).</summary>
internal static class Base32
{
    private const string Alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

    public static string Encode(ReadOnlySpan<byte> data)
    {
        var chars = new char[(data.Length * 8 + 4) / 5];
        int bits = 0, value = 0, n = 0;
        foreach (byte b in data)
        {
            value = (value << 8) | b;
            bits += 8;
            while (bits >= 5)
            {
                chars[n++] = Alphabet[(value >> (bits - 5)) & 31];
                bits -= 5;
            }
        }
        if (bits > 0) chars[n++] = Alphabet[(value << (5 - bits)) & 31];
        return new string(chars, 0, n);
    }

    public static byte[] Decode(string s)
    {
        var result = new byte[s.Length * 5 / 8];
        int bits = 0, value = 0, n = 0;
        foreach (char c in s)
        {
            int v = Alphabet.IndexOf(char.ToUpperInvariant(c), StringComparison.Ordinal);
            if (v < 0) throw new FormatException($"'{c}' is not a base32 character");
            value = (value << 5) | v;
            bits += 5;
            if (bits >= 8)
            {
                result[n++] = (byte)(value >> (bits - 8));
                bits -= 8;
            }
        }
        return result;
    }
}
