namespace Siem.Rules.Evaluation;

/// <summary>A rule ready to evaluate: its condition, the filters that apply to it, and what the index knows about it.</summary>
internal sealed class CompiledRule(SigmaRule rule, int index, CNode condition, CNode[] filters, IReadOnlySet<string>? requiredEventIds, int[]? requiredSlots, int[] referencedSlots, int[] keywordLiterals, int[]? literalClause)
{
    public SigmaRule Rule { get; } = rule;

    public int Index { get; } = index;

    /// <summary>The rule can only match when EventID is one of these (case-insensitive); null = no constraint.</summary>
    public IReadOnlySet<string>? RequiredEventIds { get; } = requiredEventIds;

    /// <summary>The rule can only match when the event has at least one of these fields; null = no constraint.</summary>
    public int[]? RequiredSlots { get; } = requiredSlots;

    /// <summary>Every field the rule's detection names (positive or negated), for events whose product is unknown.</summary>
    public int[] ReferencedSlots { get; } = referencedSlots;

    /// <summary>Ids (in the <see cref="KeywordIndex"/>) of the keyword literals its condition and filters look for.</summary>
    public int[] KeywordLiterals { get; } = keywordLiterals;

    /// <summary>Ids (in the <see cref="LiteralPrefilter"/>) of which one must be found for the condition to hold; null = no prefilter.</summary>
    public int[]? LiteralClause { get; } = literalClause;

    public bool Matches(MatchContext ctx)
    {
        if (!condition.Eval(ctx))
        {
            return false;
        }
        foreach (var f in filters)
        {
            if (f.Eval(ctx))
            {
                return false;
            }
        }
        return true;
    }
}
