using System.Buffers;
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
    private readonly bool[] _hasLetters;
    private readonly SearchValues<string>[] _latin1;

    public SubjectValueMatcher(string value)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(value);
        var v = value.Trim();
        var escaped = JavaScriptEncoder.Default.Encode(v);
        _texts = escaped == v ? [v] : [v, escaped];
        _needles = [.. _texts.Select(Encoding.UTF8.GetBytes)];
        _hasLetters = [.. _needles.Select(b => b.AsSpan().ContainsAnyInRange((byte)'A', (byte)'Z') || b.AsSpan().ContainsAnyInRange((byte)'a', (byte)'z'))];
        _latin1 = [.. _needles.Select(b => SearchValues.Create([Encoding.Latin1.GetString(b)], StringComparison.OrdinalIgnoreCase))];
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
    public long Count(ReadOnlySpan<byte> data) => CountStartingIn(data, 0, data.Length);

    /// <summary>Token occurrences in raw bytes that start at an index in [<paramref name="firstStart"/>,
    /// <paramref name="lastStart"/>); the bytes around that range are only looked at (a match running past it, the
    /// neighbours that decide whether it is a whole token), so a file cut into overlapping segments counts each match
    /// once. Vectorized: an exact search for needles without letters (addresses, numbers); otherwise a
    /// case-insensitive multi-string search over the bytes widened to Latin-1 characters (one char per byte, so offsets
    /// stay byte offsets).</summary>
    public long CountStartingIn(ReadOnlySpan<byte> data, int firstStart, int lastStart)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(firstStart);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lastStart, data.Length);
        long n = 0;
        for (int k = 0; k < _needles.Length; k++)
        {
            var needle = _needles[k];
            if (firstStart >= lastStart) break;
            // Only what a match starting in range can cover.
            var window = data[..Math.Min(data.Length, lastStart + needle.Length - 1)];
            if (!_hasLetters[k])
            {
                int offset = firstStart, i;
                while (offset < lastStart && (i = window[offset..].IndexOf(needle)) >= 0)
                {
                    int at = offset + i;
                    if (at >= lastStart) break;
                    if (BoundedBytes(data, at, needle.Length)) n++;
                    offset = at + 1;
                }
                continue;
            }
            int count = window.Length - firstStart;
            var chars = ArrayPool<char>.Shared.Rent(count);
            try
            {
                int length = Encoding.Latin1.GetChars(window[firstStart..], chars);
                var text = chars.AsSpan(0, length);
                int offset = 0, i;
                while ((i = text[offset..].IndexOfAny(_latin1[k])) >= 0)
                {
                    int at = firstStart + offset + i;
                    if (at >= lastStart) break;
                    if (Ascii.EqualsIgnoreCase(data.Slice(at, needle.Length), needle) && BoundedBytes(data, at, needle.Length)) n++;
                    offset += i + 1;
                }
            }
            finally
            {
                ArrayPool<char>.Shared.Return(chars);
            }
        }
        return n;
    }

    private static bool BoundedBytes(ReadOnlySpan<byte> data, int at, int length) =>
        (at == 0 || !IsWordByte(data[at - 1])) && (at + length == data.Length || !IsWordByte(data[at + length]));

    /// <summary>The longest needle in bytes (a chunked scan overlaps chunks by this much).</summary>
    public int MaxNeedleBytes => _needles.Max(n => n.Length);

    private static bool Bounded(string text, int at, int length) =>
        (at == 0 || !char.IsAsciiLetterOrDigit(text[at - 1])) && (at + length == text.Length || !char.IsAsciiLetterOrDigit(text[at + length]));

    private static bool IsWordByte(byte b) => char.IsAsciiLetterOrDigit((char)b);
}
