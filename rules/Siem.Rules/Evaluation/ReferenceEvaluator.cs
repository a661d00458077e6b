using Siem.Core.Events;
using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>
/// The plain reference interpreter: recursive evaluation straight over the parsed rule, no indexing, no
/// prefilters, no automata. It defines the semantics the compiled evaluator must reproduce (checked by the
/// property tests); keep it obviously correct rather than fast.
/// </summary>
internal sealed class ReferenceEvaluator(IFieldMapper? mapper = null, CompileOptions? options = null)
{
    private readonly CompileOptions _options = options ?? CompileOptions.Default;

    public bool Matches(SigmaRule rule, LogEvent e, IEnumerable<SigmaFilter>? filters = null)
    {
        if (!Eval(rule.Detection, rule.Logsource, e))
        {
            return false;
        }
        foreach (var f in filters ?? [])
        {
            if ((f.Rules.Contains(rule.Id) || (rule.Name is not null && f.Rules.Contains(rule.Name))) && Eval(f.Detection, rule.Logsource, e))
            {
                return false;
            }
        }
        return true;
    }

    private bool Eval(SigmaDetection d, SigmaLogsource ls, LogEvent e) => Eval(d.Condition, d, ls, e);

    private bool Eval(ConditionNode node, SigmaDetection d, SigmaLogsource ls, LogEvent e) => node switch
    {
        AndNode a => a.Children.All(c => Eval(c, d, ls, e)),
        OrNode o => o.Children.Any(c => Eval(c, d, ls, e)),
        NotNode n => !Eval(n.Child, d, ls, e),
        IdentifierNode i => EvalIdentifier(d.Identifiers[i.Name], ls, e),
        OfNode of => of.Names.Count(n => EvalIdentifier(d.Identifiers[n], ls, e)) >= of.Count,
        _ => throw new InvalidOperationException(node.GetType().Name),
    };

    private bool EvalIdentifier(SearchIdentifier id, SigmaLogsource ls, LogEvent e) =>
        id.Groups.Any(g => g.All(item => EvalItem(item, ls, e)));

    private bool EvalItem(DetectionItem item, SigmaLogsource ls, LogEvent e)
    {
        var specs = ResolvePlaceholders(item.Values);
        bool result;
        if (item.Field is null)
        {
            var all = AllStrings(e).ToList();
            result = item.All
                ? specs.All(s => all.Any(v => MatchValue(s, v, e, ls)))
                : specs.Any(s => all.Any(v => MatchValue(s, v, e, ls)));
        }
        else
        {
            var fields = mapper?.Map(ls, item.Field) ?? [item.Field];
            var present = false;
            var values = new List<string>();
            foreach (var f in fields)
            {
                if (Lookup(e, f) is { } v)
                {
                    present = true;
                    values.AddRange(v as string[] ?? [(string)v]);
                }
            }
            if (item.TimePart != TimePart.None)
            {
                var parts = new List<double>();
                foreach (var v in values)
                {
                    if (ValueSemantics.TryTimePart(v, item.TimePart, out var p))
                    {
                        parts.Add(p);
                    }
                }
                bool One(ValueSpec s) => parts.Any(p => ValueSemantics.Compare(p, s.Op, s.Number));
                result = item.All ? specs.All(One) : specs.Any(One);
            }
            else
            {
                bool One(ValueSpec s) => s.Kind switch
                {
                    ValueKind.Exists => present == s.ExistsValue,
                    ValueKind.Null => values.All(v => v.Length == 0),
                    _ => values.Any(v => MatchValue(s, v, e, ls)),
                };
                result = item.All ? specs.All(One) : specs.Any(One);
            }
        }
        return item.Negate ? !result : result;
    }

    private bool MatchValue(ValueSpec s, string v, LogEvent e, SigmaLogsource ls)
    {
        switch (s.Kind)
        {
            case ValueKind.Glob:
                return GlobMatch(s.Glob!, v, s.Cased);
            case ValueKind.Regex:
                return ValueSemantics.RegexIsMatch(s.Regex!.Regex, v);
            case ValueKind.Cidr:
                return ValueSemantics.CidrContains(s.Network, v);
            case ValueKind.Compare:
                return ValueSemantics.TryParseNumber(v, out var d) && ValueSemantics.Compare(d, s.Op, s.Number);
            case ValueKind.FieldRef:
                var fields = mapper?.Map(ls, s.Text!) ?? [s.Text!];
                foreach (var f in fields)
                {
                    if (Lookup(e, f) is { } other)
                    {
                        foreach (var o in other as string[] ?? [(string)other])
                        {
                            if (GlobMatch(GlobPattern.Literal(o).Wrap(s.LeadingStar, s.TrailingStar), v, s.Cased))
                            {
                                return true;
                            }
                        }
                    }
                }
                return false;
            default:
                return false;
        }
    }

    private IReadOnlyList<ValueSpec> ResolvePlaceholders(IReadOnlyList<ValueSpec> specs) =>
        specs.Any(s => s.Kind == ValueKind.Placeholder) ? Placeholders.Resolve(specs, _options) : specs;

    /// <summary>Exact field name first, then a case-insensitive match.</summary>
    internal static object? Lookup(LogEvent e, string field)
    {
        if (e.Fields.TryGetValue(field, out var v))
        {
            return v;
        }
        foreach (var (k, val) in e.Fields)
        {
            if (string.Equals(k, field, StringComparison.OrdinalIgnoreCase))
            {
                return val;
            }
        }
        return null;
    }

    private static IEnumerable<string> AllStrings(LogEvent e)
    {
        foreach (var v in e.Fields.Values)
        {
            if (v is string s)
            {
                yield return s;
            }
            else
            {
                foreach (var x in (string[])v)
                {
                    yield return x;
                }
            }
        }
    }

    /// <summary>
    /// Textbook wildcard match over chars (two pointers, back up to the last star on a mismatch), with invariant
    /// upper-casing when not cased.
    /// </summary>
    internal static bool GlobMatch(GlobPattern p, string v, bool cased)
    {
        var pat = new List<(GlobTokenKind Kind, char C)>();
        foreach (var t in p.Tokens)
        {
            if (t.Kind == GlobTokenKind.Literal)
            {
                pat.AddRange(t.Text.Select(c => (GlobTokenKind.Literal, c)));
            }
            else
            {
                pat.Add((t.Kind, '\0'));
            }
        }
        int pi = 0, vi = 0, starP = -1, starV = 0;
        while (vi < v.Length)
        {
            if (pi < pat.Count && pat[pi].Kind == GlobTokenKind.Star)
            {
                starP = pi++;
                starV = vi;
            }
            else if (pi < pat.Count && (pat[pi].Kind == GlobTokenKind.Question || Same(pat[pi].C, v[vi], cased)))
            {
                pi++;
                vi++;
            }
            else if (starP >= 0)
            {
                pi = starP + 1;
                vi = ++starV;
            }
            else
            {
                return false;
            }
        }
        while (pi < pat.Count && pat[pi].Kind == GlobTokenKind.Star)
        {
            pi++;
        }
        return pi == pat.Count;
    }

    private static bool Same(char a, char b, bool cased) => cased ? a == b : char.ToUpperInvariant(a) == char.ToUpperInvariant(b);
}
