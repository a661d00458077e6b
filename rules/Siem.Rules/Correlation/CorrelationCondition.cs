namespace Siem.Rules.Correlation;

/// <summary>
/// The <c>condition</c> map of a correlation: one or more comparisons linked by AND
/// (e.g. <c>gt: 100, lte: 200</c>) and, for the value_* types, the <c>field</c> (one or more, linked by AND).
/// </summary>
public sealed class CorrelationCondition
{
    public CorrelationCondition(IReadOnlyList<KeyValuePair<ConditionOperator, double>> terms, IReadOnlyList<string> fields)
    {
        Terms = terms;
        Fields = fields;
    }

    public IReadOnlyList<KeyValuePair<ConditionOperator, double>> Terms { get; }

    /// <summary>The <c>field</c> attribute; empty for event_count and the temporal types.</summary>
    public IReadOnlyList<string> Fields { get; }

    /// <summary>
    /// True when every comparison is a lower bound (gt/gte): the condition can then be decided as soon as
    /// enough events arrived. Any upper bound (lt/lte/eq/neq) can only be decided once the window has closed.
    /// </summary>
    public bool IsLowerBoundOnly => Terms.All(t => t.Key is ConditionOperator.Gt or ConditionOperator.Gte);

    public bool IsSatisfiedBy(double value)
    {
        foreach (var (op, threshold) in Terms)
        {
            var ok = op switch
            {
                ConditionOperator.Gt => value > threshold,
                ConditionOperator.Gte => value >= threshold,
                ConditionOperator.Lt => value < threshold,
                ConditionOperator.Lte => value <= threshold,
                ConditionOperator.Eq => value == threshold,
                _ => value != threshold,
            };
            if (!ok)
            {
                return false;
            }
        }
        return true;
    }

    public override string ToString() => string.Join(" and ", Terms.Select(t => $"{t.Key.ToString().ToLowerInvariant()} {t.Value}"));
}
