using System.Buffers;
using System.Net;
using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>Tests one event string against one (or, for set matchers, many OR-linked) rule values.</summary>
internal abstract class ValueMatcher
{
    public abstract bool Match(string value, MatchContext ctx);

    /// <summary>
    /// Strings of which one occurs (case-insensitively) in every value this matcher accepts, or null when there is
    /// no such list (see <see cref="KeywordIndex"/>).
    /// </summary>
    public virtual IReadOnlyList<string>? NecessaryLiterals() => null;
}

internal sealed class EqualsMatcher(string text, StringComparison cmp) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => string.Equals(value, text, cmp);

    public override IReadOnlyList<string>? NecessaryLiterals() => [text];
}

internal sealed class StartsWithMatcher(string text, StringComparison cmp) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => value.StartsWith(text, cmp);

    public override IReadOnlyList<string>? NecessaryLiterals() => [text];
}

internal sealed class EndsWithMatcher(string text, StringComparison cmp) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => value.EndsWith(text, cmp);

    public override IReadOnlyList<string>? NecessaryLiterals() => [text];
}

internal sealed class ContainsMatcher(string text, StringComparison cmp) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => value.Contains(text, cmp);

    public override IReadOnlyList<string>? NecessaryLiterals() => [text];
}

/// <summary>Many OR-linked exact values: one hash lookup.</summary>
internal sealed class EqualsSetMatcher(IEnumerable<string> values, bool cased) : ValueMatcher
{
    private readonly HashSet<string> _set = new(values, cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase);

    public override bool Match(string value, MatchContext ctx) => _set.Contains(value);

    public override IReadOnlyList<string>? NecessaryLiterals() => [.. _set];
}

/// <summary>
/// Many OR-linked <c>contains</c> values: one pass of the BCL's multi-string search (<see cref="SearchValues{T}"/>:
/// vectorised Teddy, falling back to Aho–Corasick), case-insensitive like OrdinalIgnoreCase.
/// </summary>
internal sealed class ContainsAnyMatcher(IReadOnlyList<string> values, bool cased) : ValueMatcher
{
    public override IReadOnlyList<string>? NecessaryLiterals() => values;

    private readonly SearchValues<string> _values = SearchValues.Create([.. values], cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);

    public override bool Match(string value, MatchContext ctx) => value.AsSpan().IndexOfAny(_values) >= 0;
}

/// <summary>Many OR-linked <c>startswith</c>/<c>endswith</c> values: one hash lookup per distinct value length.</summary>
internal sealed class AffixSetMatcher : ValueMatcher
{
    private readonly (int Length, HashSet<string>.AlternateLookup<ReadOnlySpan<char>> Set)[] _byLength;
    private readonly bool _suffix;

    public AffixSetMatcher(IEnumerable<string> values, bool suffix, bool cased)
    {
        _suffix = suffix;
        var comparer = cased ? StringComparer.Ordinal : StringComparer.OrdinalIgnoreCase;
        _byLength = [.. values.GroupBy(v => v.Length).OrderBy(g => g.Key)
            .Select(g => (g.Key, new HashSet<string>(g, comparer).GetAlternateLookup<ReadOnlySpan<char>>()))];
    }

    public override IReadOnlyList<string>? NecessaryLiterals() => [.. _byLength.SelectMany(b => b.Set.Set)];

    public override bool Match(string value, MatchContext ctx)
    {
        var span = value.AsSpan();
        foreach (var (length, set) in _byLength)
        {
            if (length > span.Length)
            {
                return false;
            }
            if (set.Contains(_suffix ? span[^length..] : span[..length]))
            {
                return true;
            }
        }
        return false;
    }
}

internal sealed class RegexMatcher(RuleRegex regex) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => ValueSemantics.RegexIsMatch(regex.Regex, value);
}

internal sealed class CidrMatcher(IPNetwork network) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) => ValueSemantics.CidrContains(network, value);
}

internal sealed class CompareMatcher(CompareOp op, double number) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx) =>
        ValueSemantics.TryParseNumber(value, out var d) && ValueSemantics.Compare(d, op, number);
}

/// <summary><c>|fieldref</c>: the value equals (or starts/ends with, contains) another field of the same event.</summary>
internal sealed class FieldRefMatcher(int[] slots, bool leading, bool trailing, StringComparison cmp) : ValueMatcher
{
    public override bool Match(string value, MatchContext ctx)
    {
        foreach (var slot in slots)
        {
            switch (ctx.Get(slot))
            {
                case string s when One(value, s):
                    return true;
                case string[] arr:
                    foreach (var s in arr)
                    {
                        if (One(value, s))
                        {
                            return true;
                        }
                    }
                    break;
            }
        }
        return false;
    }

    private bool One(string value, string other) => (leading, trailing) switch
    {
        (true, true) => value.Contains(other, cmp),
        (true, false) => value.EndsWith(other, cmp),
        (false, true) => value.StartsWith(other, cmp),
        _ => string.Equals(value, other, cmp),
    };
}

/// <summary>
/// General wildcard pattern <c>s0*s1*...*sn</c> where each segment may hold <c>?</c>: anchored first/last
/// segments, leftmost search for the middle ones (correct for star-separated fixed-width segments), no backtracking.
/// </summary>
internal sealed class GlobMatcher : ValueMatcher
{
    private readonly Segment[] _segments;
    private readonly bool _anchoredStart;
    private readonly bool _anchoredEnd;
    private readonly bool _cased;

    public GlobMatcher(GlobPattern pattern, bool cased)
    {
        _cased = cased;
        var tokens = pattern.Tokens;
        _anchoredStart = tokens.Count == 0 || tokens[0].Kind != GlobTokenKind.Star;
        _anchoredEnd = tokens.Count == 0 || tokens[^1].Kind != GlobTokenKind.Star;
        var segments = new List<Segment>();
        var chars = new List<char>();
        var any = new List<bool>();
        foreach (var t in tokens.Append(new GlobToken(GlobTokenKind.Star, "")))
        {
            if (t.Kind == GlobTokenKind.Star)
            {
                if (chars.Count > 0 || segments.Count == 0)
                {
                    segments.Add(new Segment(new string([.. chars]), [.. any]));
                }
                chars.Clear();
                any.Clear();
            }
            else if (t.Kind == GlobTokenKind.Question)
            {
                chars.Add('?');
                any.Add(true);
            }
            else
            {
                chars.AddRange(t.Text);
                any.AddRange(Enumerable.Repeat(false, t.Text.Length));
            }
        }
        _segments = [.. segments.Where(s => s.Text.Length > 0)];
        if (_segments.Length == 0)
        {
            _segments = [new Segment("", [])];
        }
    }

    public override bool Match(string value, MatchContext ctx) => Match(value.AsSpan());

    /// <summary>The longest segment without <c>?</c>: it must occur in any matching value.</summary>
    public override IReadOnlyList<string>? NecessaryLiterals() =>
        _segments.Where(s => !s.HasAny && s.Text.Length > 0).OrderByDescending(s => s.Text.Length).Select(s => s.Text).Take(1).ToArray() is [var t] ? [t] : null;

    internal bool Match(ReadOnlySpan<char> v)
    {
        var pos = 0;
        var last = _segments.Length - 1;
        for (var i = 0; i <= last; i++)
        {
            var seg = _segments[i];
            if (i == last && _anchoredEnd)
            {
                var start = v.Length - seg.Text.Length;
                if (start < pos || (i == 0 && _anchoredStart && start != 0))
                {
                    return false;
                }
                return seg.MatchesAt(v, start, _cased);
            }
            if (i == 0 && _anchoredStart)
            {
                if (!seg.MatchesAt(v, 0, _cased))
                {
                    return false;
                }
                pos = seg.Text.Length;
                continue;
            }
            var found = seg.Find(v, pos, _cased);
            if (found < 0)
            {
                return false;
            }
            pos = found + seg.Text.Length;
        }
        return true;
    }

    private sealed class Segment(string text, bool[] any)
    {
        private readonly bool _hasAny = any.Contains(true);

        public bool HasAny => _hasAny;

        public string Text { get; } = text;

        public bool MatchesAt(ReadOnlySpan<char> v, int start, bool cased)
        {
            if (start < 0 || start + Text.Length > v.Length)
            {
                return false;
            }
            if (!_hasAny)
            {
                return v.Slice(start, Text.Length).Equals(Text, cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
            }
            for (var k = 0; k < Text.Length; k++)
            {
                if (!any[k] && !CharEq(v[start + k], Text[k], cased))
                {
                    return false;
                }
            }
            return true;
        }

        public int Find(ReadOnlySpan<char> v, int from, bool cased)
        {
            if (!_hasAny)
            {
                var idx = v[from..].IndexOf(Text, cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase);
                return idx < 0 ? -1 : idx + from;
            }
            for (var s = from; s + Text.Length <= v.Length; s++)
            {
                if (MatchesAt(v, s, cased))
                {
                    return s;
                }
            }
            return -1;
        }

        private static bool CharEq(char a, char b, bool cased) => a == b || (!cased && char.ToUpperInvariant(a) == char.ToUpperInvariant(b));
    }
}
