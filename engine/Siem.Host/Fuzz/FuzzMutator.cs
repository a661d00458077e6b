using System.Text;

namespace Siem.Host.Fuzz;

/// <summary>
/// Seeded mutations of text and bytes: character flips to tokens parsers care about, deletions, repeats (long
/// lines), splices of two seeds, truncation and inserted hostile tokens (huge numbers, deep nesting, NUL, U+FFFD,
/// bidi overrides, format specifiers). The same seed gives the same sequence of inputs.
/// </summary>
internal sealed class FuzzMutator(Random rng)
{
    private static readonly string[] Tokens =
    [
        "999999999999999999999999", "-1", "NaN", "1e309", "0x", "\"", "'", "\\", "\\u0000", "\\ud800", "{{{{{{{{{{{{", "[[[[[[[[[[[[",
        "}}}}", "]]]]", ": ", "=", "type=", "msg=audit(", "node=", "):", "message repeated 99999999 times: [", "null", "true",
        "%n%s%x", "\u0000", "\uFFFD", "\u202E", "\U0001F600", "\t", "  ", "|re", "|contains|all", "*", "?", "(?:a+)+$", "- ", "\n- ",
        "condition: ", "&anchor", "*anchor", "!!binary", "<<: ", "---", "...", "%YAML 1.2", "1 of them", "not ",
    ];

    private static readonly char[] Chars = ['\0', '\uFFFD', '"', '{', '}', '[', ']', ':', '=', ' ', '\t', '\\', '\'', '|', '*', '-', '0', '9', 'a', 'Z', '\u00e9', '\u202E', '(', ')', ',', '<', '>', '%', '#', '&'];

    public Random Random => rng;

    /// <summary>1–5 mutations of <paramref name="seed"/>; <paramref name="other"/> is spliced in sometimes.</summary>
    public string Mutate(string seed, string other, int maxLength = 200_000)
    {
        var sb = new StringBuilder(seed);
        int rounds = rng.Next(1, 6);
        for (int i = 0; i < rounds; i++) MutateOnce(sb, other);
        if (sb.Length > maxLength) sb.Length = maxLength;
        return sb.ToString();
    }

    private void MutateOnce(StringBuilder sb, string other)
    {
        int len = sb.Length;
        int at = len == 0 ? 0 : rng.Next(len + 1);
        switch (rng.Next(9))
        {
            case 0 when len > 0:
                sb[Math.Min(at, len - 1)] = Chars[rng.Next(Chars.Length)];
                break;
            case 1 when len > 0:
                int del = rng.Next(1, Math.Min(len - Math.Min(at, len - 1), 40) + 1);
                sb.Remove(Math.Min(at, len - 1), Math.Min(del, len - Math.Min(at, len - 1)));
                break;
            case 2 when len > 0:
                // Repeat a slice: long lines, deep nesting, many fields.
                int start = rng.Next(len), count = rng.Next(1, Math.Min(len - start, 30) + 1);
                string slice = sb.ToString(start, count);
                int times = rng.Next(10) == 0 ? rng.Next(100, 3000) : rng.Next(2, 20);
                sb.Insert(start, string.Concat(Enumerable.Repeat(slice, times)));
                break;
            case 3:
                sb.Insert(at, Tokens[rng.Next(Tokens.Length)]);
                break;
            case 4 when other.Length > 0:
                sb.Length = at;
                sb.Append(other.AsSpan(rng.Next(other.Length)));
                break;
            case 5:
                sb.Length = at;
                break;
            case 6:
                sb.Insert(at, new string(Chars[rng.Next(Chars.Length)], rng.Next(10) == 0 ? rng.Next(1000, 70_000) : rng.Next(1, 64)));
                break;
            case 7 when len > 0:
                // A random printable ASCII character: shifts delimiters and keywords.
                sb[Math.Min(at, len - 1)] = (char)rng.Next(32, 127);
                break;
            default:
                sb.Insert(at, (char)rng.Next(0x20, 0x3000));
                break;
        }
    }

    /// <summary>1–4 mutations of bytes: bit flips, random bytes, truncation, extension, deleted or repeated slices.</summary>
    public byte[] Mutate(ReadOnlySpan<byte> seed)
    {
        var list = new List<byte>(seed.ToArray());
        int rounds = rng.Next(1, 5);
        for (int i = 0; i < rounds; i++)
        {
            int at = list.Count == 0 ? 0 : rng.Next(list.Count);
            switch (rng.Next(6))
            {
                case 0 when list.Count > 0:
                    list[at] ^= (byte)(1 << rng.Next(8));
                    break;
                case 1 when list.Count > 0:
                    list[at] = (byte)rng.Next(256);
                    break;
                case 2:
                    list.RemoveRange(at, list.Count - at);
                    break;
                case 3:
                    var extra = new byte[rng.Next(1, 64)];
                    rng.NextBytes(extra);
                    list.InsertRange(at, extra);
                    break;
                case 4 when list.Count > 0:
                    list.RemoveRange(at, Math.Min(rng.Next(1, 32), list.Count - at));
                    break;
                default:
                    if (list.Count > 0) list.InsertRange(at, list.GetRange(at, Math.Min(rng.Next(1, 32), list.Count - at)));
                    break;
            }
        }
        return [.. list];
    }
}
