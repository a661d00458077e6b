using System.Buffers;

namespace Siem.Rules.Evaluation;

/// <summary>
/// One shared search for the literals of every field-less (keyword) item: a keyword item can only hold when one
/// of its necessary literals occurs (case-insensitively) in some string value of the event. The event is scanned
/// once, lazily, with a multi-string <see cref="SearchValues{T}"/>; items none of whose literals occur are false
/// without scanning the event again. Items with a hit are still evaluated in full, so results are unchanged.
/// </summary>
internal sealed class KeywordIndex
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.OrdinalIgnoreCase);
    private SearchValues<string>? _search;
    private Dictionary<char, (string Text, int Id)[]> _byFirst = [];
    private (string Text, int Id)[] _unbucketed = [];

    public int Count => _ids.Count;

    /// <summary>Ids of the literals (null when some matcher cannot be reduced to a literal: no prefilter then).</summary>
    public int[]? Register(ValueMatcher[] matchers)
    {
        if (_search is not null)
        {
            throw new InvalidOperationException("keyword index is frozen");
        }
        if (matchers.Length == 0)
        {
            return null;
        }
        var ids = new HashSet<int>();
        foreach (var m in matchers)
        {
            if (m.NecessaryLiterals() is not { Count: > 0 } literals || literals.Any(l => l.Length == 0))
            {
                return null;
            }
            foreach (var l in literals)
            {
                if (!_ids.TryGetValue(l, out var id))
                {
                    _ids[l] = id = _ids.Count;
                }
                ids.Add(id);
            }
        }
        return [.. ids.Order()];
    }

    public void Freeze()
    {
        _search = SearchValues.Create([.. _ids.Keys], StringComparison.OrdinalIgnoreCase);
        var byFirst = new Dictionary<char, List<(string, int)>>();
        var unbucketed = new List<(string, int)>();
        foreach (var (text, id) in _ids)
        {
            // Bucket by upper-cased first char; surrogates (and anything odd) are checked at every hit instead.
            if (char.IsSurrogate(text[0]))
            {
                unbucketed.Add((text, id));
                continue;
            }
            var key = char.ToUpperInvariant(text[0]);
            if (!byFirst.TryGetValue(key, out var list))
            {
                byFirst[key] = list = [];
            }
            list.Add((text, id));
        }
        _byFirst = byFirst.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray());
        _unbucketed = [.. unbucketed];
    }

    /// <summary>True when one of the literals occurs in the event (scans the event on first use per event).</summary>
    public bool AnyHit(MatchContext ctx, int[] ids)
    {
        if (!ctx.KeywordsScanned)
        {
            Scan(ctx);
        }
        foreach (var id in ids)
        {
            if (ctx.KeywordHit(id))
            {
                return true;
            }
        }
        return false;
    }

    private void Scan(MatchContext ctx)
    {
        ctx.MarkKeywordsScanned();
        if (_ids.Count == 0)
        {
            return;
        }
        foreach (var value in ctx.Event.Fields.Values)
        {
            if (value is string s)
            {
                Scan(s, ctx);
            }
            else
            {
                foreach (var x in (string[])value)
                {
                    Scan(x, ctx);
                }
            }
        }
    }

    private void Scan(string s, MatchContext ctx)
    {
        var span = s.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var i = span[from..].IndexOfAny(_search!);
            if (i < 0)
            {
                return;
            }
            var rest = span[(from + i)..];
            var c = rest[0];
            if (!char.IsSurrogate(c) && _byFirst.TryGetValue(char.ToUpperInvariant(c), out var list))
            {
                Verify(rest, list, ctx);
            }
            else if (char.IsSurrogate(c))
            {
                // A surrogate in the value: be conservative and check every bucket.
                foreach (var l in _byFirst.Values)
                {
                    Verify(rest, l, ctx);
                }
            }
            Verify(rest, _unbucketed, ctx);
            from += i + 1;
        }
    }

    private static void Verify(ReadOnlySpan<char> rest, (string Text, int Id)[] list, MatchContext ctx)
    {
        foreach (var (text, id) in list)
        {
            if (rest.StartsWith(text, StringComparison.OrdinalIgnoreCase))
            {
                ctx.SetKeywordHit(id);
            }
        }
    }
}
