using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>
/// Static analysis for the index: the set of exact values a field must hold for a condition to be true
/// (e.g. every path of the condition requires <c>EventID: 4624</c> or <c>4625</c>). Null = no such constraint.
/// Sound by construction: a rule is only ever skipped when it provably cannot match.
/// </summary>
internal static class RequiredValues
{
    public static HashSet<string>? Of(SigmaDetection d, string field, Func<string, bool> isUnmapped) => Node(d.Condition, d, field, isUnmapped);

    private static HashSet<string>? Node(ConditionNode n, SigmaDetection d, string field, Func<string, bool> isUnmapped) => n switch
    {
        AndNode a => Intersect(a.Children.Select(c => Node(c, d, field, isUnmapped))),
        OrNode o => Union(o.Children.Select(c => Node(c, d, field, isUnmapped))),
        IdentifierNode i => Identifier(d.Identifiers[i.Name], field, isUnmapped),
        OfNode of when of.Count >= of.Names.Count => Intersect(of.Names.Select(x => Identifier(d.Identifiers[x], field, isUnmapped))),
        OfNode of => Union(of.Names.Select(x => Identifier(d.Identifiers[x], field, isUnmapped))),
        _ => null, // not: no constraint
    };

    private static HashSet<string>? Identifier(SearchIdentifier id, string field, Func<string, bool> isUnmapped) =>
        Union(id.Groups.Select(g => Intersect(g.Select(item => Item(item, field, isUnmapped)))));

    private static HashSet<string>? Item(DetectionItem item, string field, Func<string, bool> isUnmapped)
    {
        if (item.Field != field || item.Negate || item.TimePart != TimePart.None || !isUnmapped(field)
            || item.Values.Any(v => v.Kind != ValueKind.Glob || !v.Glob!.IsLiteral)
            || (item.All && item.Values.Count > 1))
        {
            return null;
        }
        return new HashSet<string>(item.Values.Select(v => v.Glob!.LiteralText), StringComparer.OrdinalIgnoreCase);
    }

    private static HashSet<string>? Intersect(IEnumerable<HashSet<string>?> sets)
    {
        HashSet<string>? acc = null;
        foreach (var s in sets)
        {
            if (s is null)
            {
                continue;
            }
            if (acc is null)
            {
                acc = new HashSet<string>(s, StringComparer.OrdinalIgnoreCase);
            }
            else
            {
                acc.IntersectWith(s);
            }
        }
        return acc;
    }

    private static HashSet<string>? Union(IEnumerable<HashSet<string>?> sets)
    {
        var acc = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var s in sets)
        {
            if (s is null)
            {
                return null;
            }
            acc.UnionWith(s);
        }
        return acc;
    }
}
