namespace Siem.Rules.Evaluation;

/// <summary>
/// One shared search for the literals of field-less (keyword) items: a keyword item can only hold when one of its
/// necessary literals occurs (case-insensitively) in some string value of the event. The event is scanned once,
/// lazily, for the literals of the rules being evaluated (<see cref="MatchContext.Scanner"/>, set per candidate
/// list, else all literals); items none of whose literals occur are false without scanning the event again.
/// Items with a hit are still evaluated in full, so results are unchanged.
/// </summary>
internal sealed class KeywordIndex
{
    private readonly Dictionary<string, int> _ids = new(StringComparer.OrdinalIgnoreCase);
    private readonly List<string> _texts = [];
    private readonly HashSet<int> _registered = [];
    private readonly Dictionary<string, KeywordScanner> _scanners = new(StringComparer.Ordinal);
    private KeywordScanner? _all;

    public int Count => _ids.Count;

    /// <summary>Ids of the literals (null when some matcher cannot be reduced to a literal: no prefilter then).</summary>
    public int[]? Register(ValueMatcher[] matchers)
    {
        if (_all is not null)
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
                    _texts.Add(l);
                }
                ids.Add(id);
            }
        }
        _registered.UnionWith(ids);
        return [.. ids.Order()];
    }

    /// <summary>The literal ids registered since the last call (the compiler calls this after each rule).</summary>
    public int[] TakeRegistered()
    {
        int[] result = [.. _registered.Order()];
        _registered.Clear();
        return result;
    }

    public void Freeze() => _all = new KeywordScanner([.. _texts.Select((t, i) => (t, i))]);

    /// <summary>A scanner for just these literals (shared between candidate lists with the same set).</summary>
    public KeywordScanner ScannerFor(IEnumerable<int> ids)
    {
        int[] sorted = [.. ids.Distinct().Order()];
        var key = string.Join(',', sorted);
        lock (_scanners)
        {
            if (!_scanners.TryGetValue(key, out var scanner))
            {
                if (_scanners.Count >= 1024)
                {
                    _scanners.Clear();
                }
                _scanners[key] = scanner = new KeywordScanner([.. sorted.Select(i => (_texts[i], i))]);
            }
            return scanner;
        }
    }

    /// <summary>True when one of the literals occurs in the event (scans the event on first use per event).</summary>
    public bool AnyHit(MatchContext ctx, int[] ids)
    {
        if (!ctx.KeywordsScanned)
        {
            ctx.MarkKeywordsScanned();
            (ctx.Scanner ?? _all!).Scan(ctx);
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
}
