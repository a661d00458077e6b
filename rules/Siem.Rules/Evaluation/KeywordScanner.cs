using System.Buffers;

namespace Siem.Rules.Evaluation;

/// <summary>
/// Finds which of a set of keyword literals occur (case-insensitively) in an event's string values: one multi-string
/// <see cref="SearchValues{T}"/> pass per value, each hit verified against the literals starting with that char.
/// </summary>
internal sealed class KeywordScanner
{
    private readonly SearchValues<string> _search;
    private readonly Dictionary<char, (string Text, int Id)[]> _byFirst;
    private readonly (string Text, int Id)[] _unbucketed;
    private readonly bool _empty;
    private readonly bool _field;

    /// <param name="field">Hits are (field, literal) ids of the <see cref="LiteralPrefilter"/>, not keyword literal ids.</param>
    public KeywordScanner(IReadOnlyCollection<(string Text, int Id)> literals, bool field = false)
    {
        _field = field;
        _empty = literals.Count == 0;
        _search = SearchValues.Create([.. literals.Select(l => l.Text)], StringComparison.OrdinalIgnoreCase);
        var byFirst = new Dictionary<char, List<(string, int)>>();
        var unbucketed = new List<(string, int)>();
        foreach (var (text, id) in literals)
        {
            // Bucket by upper-cased first char; surrogates are checked at every hit instead.
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

    public void Scan(MatchContext ctx)
    {
        if (_empty)
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

    /// <summary>Scans one slot's value (string, string[] or null).</summary>
    public void ScanValue(object? value, MatchContext ctx)
    {
        switch (value)
        {
            case string s:
                Scan(s, ctx);
                break;
            case string[] arr:
                foreach (var x in arr)
                {
                    Scan(x, ctx);
                }
                break;
        }
    }

    private void Scan(string s, MatchContext ctx)
    {
        var span = s.AsSpan();
        var from = 0;
        while (from < span.Length)
        {
            var i = span[from..].IndexOfAny(_search);
            if (i < 0)
            {
                return;
            }
            var rest = span[(from + i)..];
            var c = rest[0];
            if (char.IsSurrogate(c))
            {
                // A surrogate in the value: be conservative and check every bucket.
                foreach (var l in _byFirst.Values)
                {
                    Verify(rest, l, ctx);
                }
            }
            else if (_byFirst.TryGetValue(char.ToUpperInvariant(c), out var list))
            {
                Verify(rest, list, ctx);
            }
            Verify(rest, _unbucketed, ctx);
            from += i + 1;
        }
    }

    private void Verify(ReadOnlySpan<char> rest, (string Text, int Id)[] list, MatchContext ctx)
    {
        foreach (var (text, id) in list)
        {
            if (rest.StartsWith(text, StringComparison.OrdinalIgnoreCase))
            {
                if (_field)
                {
                    ctx.SetFieldHit(id);
                }
                else
                {
                    ctx.SetKeywordHit(id);
                }
            }
        }
    }
}
