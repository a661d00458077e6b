using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>Turns parsed detections into <see cref="CNode"/> trees with specialised matchers.</summary>
internal sealed class RuleCompiler(FieldTable fields, IFieldMapper? mapper, CompileOptions options)
{
    /// <summary>The literals of all keyword items, searched once per event.</summary>
    public KeywordIndex Keywords { get; } = new();

    public CNode Compile(SigmaDetection d, SigmaLogsource ls) => Compile(d.Condition, d, ls);

    private CNode Compile(ConditionNode node, SigmaDetection d, SigmaLogsource ls) => node switch
    {
        AndNode a => new CAnd([.. a.Children.Select(c => Compile(c, d, ls))]),
        OrNode o => new COr([.. o.Children.Select(c => Compile(c, d, ls))]),
        NotNode n => new CNot(Compile(n.Child, d, ls)),
        IdentifierNode i => CompileIdentifier(d.Identifiers[i.Name], ls),
        OfNode of when of.Count == 1 => new COr([.. of.Names.Select(n => CompileIdentifier(d.Identifiers[n], ls))]),
        OfNode of when of.Count >= of.Names.Count => new CAnd([.. of.Names.Select(n => CompileIdentifier(d.Identifiers[n], ls))]),
        OfNode of => new CAtLeast(of.Count, [.. of.Names.Select(n => CompileIdentifier(d.Identifiers[n], ls))]),
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private CNode CompileIdentifier(SearchIdentifier id, SigmaLogsource ls)
    {
        var groups = id.Groups.Select(g => g.Count == 1 ? CompileItem(g[0], ls) : new CAnd([.. g.Select(item => CompileItem(item, ls))])).ToArray();
        return groups.Length == 1 ? groups[0] : new COr(groups);
    }

    private int[] Slots(string field, SigmaLogsource ls) =>
        [.. (mapper?.Map(ls, field) ?? [field]).Distinct(StringComparer.Ordinal).Select(fields.Slot)];

    private CNode CompileItem(DetectionItem item, SigmaLogsource ls)
    {
        var specs = item.Values.Any(v => v.Kind == ValueKind.Placeholder) ? Placeholders.Resolve(item.Values, options) : item.Values;
        if (item.Field is null)
        {
            // "selection: null" is a keyword search for nothing: a broken rule, not an engine fault (found by fuzzing).
            if (specs.Any(s => s.Kind is ValueKind.Exists or ValueKind.Null))
            {
                throw new RuleParseException("a keyword list (search without a field) cannot hold null or exists; name the field", item.Line, item.Column);
            }
            var matchers = Matchers(specs, item.All, ls);
            return new KeywordItem(matchers, item.All, item.Negate, Keywords, Keywords.Register(matchers));
        }
        var slots = Slots(item.Field, ls);
        if (item.TimePart != TimePart.None)
        {
            return new TimeItem(slots, item.TimePart, [.. specs.Select(s => (s.Op, s.Number))], item.All, item.Negate);
        }
        if (specs.Count == 1 && specs[0].Kind is ValueKind.Exists or ValueKind.Null)
        {
            return new PresenceItem(slots, specs[0].Kind == ValueKind.Null, specs[0].ExistsValue, item.Negate);
        }
        if (specs.Any(s => s.Kind is ValueKind.Exists or ValueKind.Null))
        {
            throw new RuleParseException($"field '{item.Field}': null/exists cannot be mixed with other values", item.Line, item.Column);
        }
        return new FieldItem(slots, Matchers(specs, item.All, ls), item.All, item.Negate);
    }

    /// <summary>
    /// One matcher per value, except (when OR-linked) many exact values share a hash set and many contains values
    /// share an Aho–Corasick automaton. Cheap matchers come first.
    /// </summary>
    private ValueMatcher[] Matchers(IReadOnlyList<ValueSpec> specs, bool all, SigmaLogsource ls)
    {
        var result = new List<(int Cost, ValueMatcher M)>();
        var rest = specs.ToList();
        if (!all)
        {
            foreach (var cased in new[] { false, true })
            {
                var equals = rest.Where(s => s.Kind == ValueKind.Glob && s.Cased == cased && s.Glob!.IsLiteral).ToList();
                if (equals.Count >= options.MultiStringThreshold)
                {
                    result.Add((0, new EqualsSetMatcher(equals.Select(s => s.Glob!.LiteralText), cased)));
                    rest.RemoveAll(equals.Contains);
                }
            }
            foreach (var cased in new[] { false, true })
            {
                var contains = rest.Where(s => s.Kind == ValueKind.Glob && s.Cased == cased && IsContains(s.Glob!, out _)).ToList();
                if (contains.Count >= options.MultiStringThreshold)
                {
                    result.Add((4, new ContainsAnyMatcher([.. contains.Select(s => { IsContains(s.Glob!, out var t); return t; })], cased)));
                    rest.RemoveAll(contains.Contains);
                }
                foreach (var suffix in new[] { true, false })
                {
                    var affix = rest.Where(s => s.Kind == ValueKind.Glob && s.Cased == cased && IsAffix(s.Glob!, suffix, out _)).ToList();
                    if (affix.Count >= options.MultiStringThreshold)
                    {
                        result.Add((2, new AffixSetMatcher(affix.Select(s => { IsAffix(s.Glob!, suffix, out var t); return t; }), suffix, cased)));
                        rest.RemoveAll(affix.Contains);
                    }
                }
            }
        }
        foreach (var s in rest)
        {
            result.Add(Single(s, ls));
        }
        // Order only changes speed for OR; for |all every matcher must hold anyway.
        return [.. result.OrderBy(r => r.Cost).Select(r => r.M)];
    }

    private (int, ValueMatcher) Single(ValueSpec s, SigmaLogsource ls)
    {
        var cmp = s.Cased ? StringComparison.Ordinal : StringComparison.OrdinalIgnoreCase;
        switch (s.Kind)
        {
            case ValueKind.Glob:
                var tokens = s.Glob!.Tokens;
                if (s.Glob.IsLiteral)
                {
                    return (1, new EqualsMatcher(s.Glob.LiteralText, cmp));
                }
                if (IsContains(s.Glob, out var inner))
                {
                    return (3, new ContainsMatcher(inner, cmp));
                }
                if (tokens.Count == 2 && tokens[0].Kind == GlobTokenKind.Star && tokens[1].Kind == GlobTokenKind.Literal)
                {
                    return (2, new EndsWithMatcher(tokens[1].Text, cmp));
                }
                if (tokens.Count == 2 && tokens[1].Kind == GlobTokenKind.Star && tokens[0].Kind == GlobTokenKind.Literal)
                {
                    return (2, new StartsWithMatcher(tokens[0].Text, cmp));
                }
                return (5, new GlobMatcher(s.Glob, s.Cased));
            case ValueKind.Regex:
                return (8, new RegexMatcher(s.Regex!));
            case ValueKind.Cidr:
                return (6, new CidrMatcher(s.Network));
            case ValueKind.Compare:
                return (3, new CompareMatcher(s.Op, s.Number));
            case ValueKind.FieldRef:
                return (3, new FieldRefMatcher(Slots(s.Text!, ls), s.LeadingStar, s.TrailingStar, cmp));
            default:
                throw new InvalidOperationException($"value kind {s.Kind} cannot be matched here");
        }
    }

    private static bool IsAffix(GlobPattern p, bool suffix, out string text)
    {
        var t = p.Tokens;
        if (t.Count == 2 && t[suffix ? 0 : 1].Kind == GlobTokenKind.Star && t[suffix ? 1 : 0].Kind == GlobTokenKind.Literal)
        {
            text = t[suffix ? 1 : 0].Text;
            return true;
        }
        text = "";
        return false;
    }

    private static bool IsContains(GlobPattern p, out string text)
    {
        var t = p.Tokens;
        if (t.Count == 3 && t[0].Kind == GlobTokenKind.Star && t[1].Kind == GlobTokenKind.Literal && t[2].Kind == GlobTokenKind.Star)
        {
            text = t[1].Text;
            return true;
        }
        text = "";
        return false;
    }

    /// <summary>
    /// Slots of which the event must have at least one for the detection to be true (any positive field test needs
    /// its field), or null when the condition can hold without any field (keywords, null, not, neq).
    /// </summary>
    public int[]? RequiredSlots(SigmaDetection d, SigmaLogsource ls) => Required(d.Condition, d, ls)?.Order().ToArray();

    /// <summary>Slots of every field the detection names, positive or negated (filters excluded).</summary>
    public int[] ReferencedSlots(SigmaDetection d, SigmaLogsource ls) =>
        [.. d.Identifiers.Values.SelectMany(id => id.Groups).SelectMany(g => g)
            .Where(item => item.Field is not null).SelectMany(item => Slots(item.Field!, ls)).Distinct().Order()];

    private HashSet<int>? Required(ConditionNode n, SigmaDetection d, SigmaLogsource ls) => n switch
    {
        AndNode a => Smallest(a.Children.Select(c => Required(c, d, ls))),
        OrNode o => UnionAll(o.Children.Select(c => Required(c, d, ls))),
        IdentifierNode i => RequiredOf(d.Identifiers[i.Name], ls),
        OfNode of when of.Count >= of.Names.Count => Smallest(of.Names.Select(x => RequiredOf(d.Identifiers[x], ls))),
        OfNode of => UnionAll(of.Names.Select(x => RequiredOf(d.Identifiers[x], ls))),
        _ => null,
    };

    private HashSet<int>? RequiredOf(SearchIdentifier id, SigmaLogsource ls) =>
        UnionAll(id.Groups.Select(g => Smallest(g.Select(item => RequiredOf(item, ls)))));

    private HashSet<int>? RequiredOf(DetectionItem item, SigmaLogsource ls)
    {
        if (item.Field is null || item.Negate || item.Values.Any(v => v.Kind is ValueKind.Null || (v.Kind == ValueKind.Exists && !v.ExistsValue)))
        {
            return null;
        }
        return [.. Slots(item.Field, ls)];
    }

    private static HashSet<int>? Smallest(IEnumerable<HashSet<int>?> sets) =>
        sets.Where(s => s is not null).OrderBy(s => s!.Count).FirstOrDefault();

    private static HashSet<int>? UnionAll(IEnumerable<HashSet<int>?> sets)
    {
        var acc = new HashSet<int>();
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
