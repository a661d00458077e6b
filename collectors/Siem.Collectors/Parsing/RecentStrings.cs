namespace Siem.Collectors.Parsing;

/// <summary>
/// Hands back the same string for a token seen recently (host names, program names, pids of a busy daemon) instead of
/// a new one per line: a few direct-mapped slots keyed by length and the first and last characters. A miss costs
/// what <c>ToString()</c> costs anyway. Not thread-safe: one per thread.
/// </summary>
internal sealed class RecentStrings
{
    private const int Slots = 32;
    private const int MaxLength = 64;
    private readonly string?[] _slots = new string?[Slots];

    [ThreadStatic]
    private static RecentStrings? t_current;

    public static RecentStrings Current => t_current ??= new RecentStrings();

    public string Get(ReadOnlySpan<char> token)
    {
        if (token.IsEmpty)
        {
            return "";
        }
        if (token.Length > MaxLength)
        {
            return token.ToString();
        }
        int slot = (token.Length * 31 + token[0] * 7 + token[^1]) & (Slots - 1);
        var known = _slots[slot];
        if (known is not null && token.SequenceEqual(known))
        {
            return known;
        }
        var made = token.ToString();
        _slots[slot] = made;
        return made;
    }
}
