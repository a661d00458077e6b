namespace Siem.Rules.Evaluation;

/// <summary>
/// Per-rule necessary condition "one of these literals occurs (case-insensitively) in this field", derived from the
/// compiled condition: an item's literals, any one child of an AND, all children of an OR. Per candidate list the
/// fields concerned are scanned once per event (one multi-string search per field); a rule none of whose literals
/// occur cannot match and is skipped. Rules that pass are evaluated in full, so results are unchanged.
/// </summary>
internal sealed class LiteralPrefilter
{
    private readonly Dictionary<(int Slot, string Literal), int> _ids = [];
    private readonly Dictionary<string, (int Slot, KeywordScanner Scanner)[]> _scanners = new(StringComparer.Ordinal);

    public int Count => _ids.Count;

    /// <summary>Ids of the (field, literal) pairs of which one must occur for the condition to hold; null = no such list.</summary>
    public int[]? Register(CNode condition)
    {
        var clause = Clause(condition);
        if (clause is null || clause.Count == 0)
        {
            return null;
        }
        var ids = new HashSet<int>();
        foreach (var pair in clause)
        {
            if (!_ids.TryGetValue(pair, out var id))
            {
                _ids[pair] = id = _ids.Count;
            }
            ids.Add(id);
        }
        return [.. ids.Order()];
    }

    private static IReadOnlyList<(int Slot, string Literal)>? Clause(CNode node)
    {
        switch (node)
        {
            case FieldItem f:
                return ItemLiterals(f);
            case CAnd a:
                // Any child's condition is necessary: take the one with the fewest literals.
                return a.Children.Select(Clause).Where(c => c is { Count: > 0 }).OrderBy(c => c!.Count).FirstOrDefault();
            case COr o:
                return UnionAll(o.Children);
            case CAtLeast l when l.Count >= 1:
                return UnionAll(l.Children);
            default:
                return null;
        }
    }

    /// <summary>(slot, literal) pairs of which one occurs whenever the item holds; null when there is no such list.</summary>
    private static List<(int, string)>? ItemLiterals(FieldItem f)
    {
        if (f.Negate || f.Matchers.Length == 0)
        {
            return null;
        }
        var result = new List<(int, string)>();
        // With |all every matcher must hold, so the first one's literals suffice; otherwise any matcher may.
        foreach (var m in f.All ? f.Matchers[..1] : f.Matchers)
        {
            if (m.NecessaryLiterals() is not { Count: > 0 } literals || literals.Any(l => l.Length == 0))
            {
                return null;
            }
            foreach (var slot in f.Slots)
            {
                result.AddRange(literals.Select(l => (slot, l)));
            }
        }
        return result;
    }

    private static List<(int, string)>? UnionAll(CNode[] children)
    {
        var acc = new List<(int, string)>();
        foreach (var c in children)
        {
            if (Clause(c) is not { Count: > 0 } clause)
            {
                return null;
            }
            acc.AddRange(clause);
        }
        return acc.Count == 0 ? null : acc;
    }

    /// <summary>One scanner per field for the literals of these ids (shared between equal id sets).</summary>
    public (int Slot, KeywordScanner Scanner)[] ScannersFor(IEnumerable<int> ids)
    {
        var wanted = ids.ToHashSet();
        var key = string.Join(',', wanted.Order());
        lock (_scanners)
        {
            if (!_scanners.TryGetValue(key, out var scanners))
            {
                if (_scanners.Count >= 1024)
                {
                    _scanners.Clear();
                }
                scanners = [.. _ids.Where(kv => wanted.Contains(kv.Value)).GroupBy(kv => kv.Key.Slot)
                    .Select(g => (g.Key, new KeywordScanner([.. g.Select(kv => (kv.Key.Literal, kv.Value))], field: true)))];
                _scanners[key] = scanners;
            }
            return scanners;
        }
    }
}
