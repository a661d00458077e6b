using System.Text;
using System.Text.Encodings.Web;

namespace Siem.Lineage.Purge;

/// <summary>
/// Finds a subject's raw value in text and in raw bytes as a whole token: ASCII case-insensitive (user names and
/// host names are compared case-insensitively by the pseudonymizer too), and not glued to a letter or digit on
/// either side, so <c>10.0.0.1</c> does not match inside <c>10.0.0.15</c> and <c>bob</c> not inside <c>bobby</c>.
/// Also looks for the value's JSON-escaped form when it differs (values with quotes or non-ASCII characters).
/// </summary>
public sealed class SubjectValueMatcher
{
    private readonly byte[][] _needles;
    private readonly string[] _texts;

    public SubjectValueMatcher(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var v = value.Trim();
        var escaped = JavaScriptEncoder.Default.Encode(v);
        _texts = escaped == v ? [v] : [v, escaped];
        _needles = [.. _texts.Select(Encoding.UTF8.GetBytes)];
    }

    /// <summary>The value as given (trimmed).</summary>
    public string Value => _texts[0];

    public bool IsMatch(string? text) => text != null && Count(text) > 0;

    public int Count(string text)
    {
        int n = 0;
        foreach (var t in _texts)
        {
            int at = 0;
            while ((at = text.IndexOf(t, at, StringComparison.OrdinalIgnoreCase)) >= 0)
            {
                if (Bounded(text, at, t.Length)) n++;
                at += t.Length;
            }
        }
        return n;
    }

    /// <summary>Replaces every token occurrence with <paramref name="replacement"/>.</summary>
    public string Replace(string text, string replacement)
    {
        foreach (var t in _texts)
        {
            var sb = new StringBuilder(text.Length);
            int at = 0, from = 0;
            while ((at = text.IndexOf(t, at, StringComparison.OrdinalIgnoreCase)) >= 0)
            {
                if (Bounded(text, at, t.Length))
                {
                    sb.Append(text, from, at - from).Append(replacement);
                    from = at + t.Length;
                }
                at += t.Length;
            }
            sb.Append(text, from, text.Length - from);
            text = sb.ToString();
        }
        return text;
    }

    /// <summary>Token occurrences in raw bytes (files, database pages, stream blocks).</summary>
    public long Count(ReadOnlySpan<byte> data)
    {
        long n = 0;
        foreach (var needle in _needles)
        {
            byte lower = (byte)char.ToLowerInvariant((char)needle[0]), upper = (byte)char.ToUpperInvariant((char)needle[0]);
            int offset = 0;
            while (offset <= data.Length - needle.Length)
            {
                int i = data[offset..].IndexOfAny(lower, upper);
                if (i < 0) break;
                int at = offset + i;
                if (at + needle.Length <= data.Length
                    && Ascii.EqualsIgnoreCase(data.Slice(at, needle.Length), needle)
                    && (at == 0 || !IsWordByte(data[at - 1]))
                    && (at + needle.Length == data.Length || !IsWordByte(data[at + needle.Length])))
                {
                    n++;
                }
                offset = at + 1;
            }
        }
        return n;
    }

    /// <summary>The longest needle in bytes (a chunked scan overlaps chunks by this much).</summary>
    public int MaxNeedleBytes => _needles.Max(n => n.Length);

    private static bool Bounded(string text, int at, int length) =>
        (at == 0 || !char.IsAsciiLetterOrDigit(text[at - 1])) && (at + length == text.Length || !char.IsAsciiLetterOrDigit(text[at + length]));

    private static bool IsWordByte(byte b) => char.IsAsciiLetterOrDigit((char)b);
}
