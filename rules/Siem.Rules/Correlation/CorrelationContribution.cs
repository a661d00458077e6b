using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// One match counted into one group of one correlation rule, computed where the event was detected and applied
/// where that group's window lives (scale-out: the engine owning the group's partition). Everything the window
/// needs is resolved already (group-by values, condition field), so applying it needs no field mapping.
/// </summary>
public sealed record CorrelationContribution
{
    /// <summary>The correlation rule's <see cref="CorrelationRule.Key"/>.</summary>
    public required string RuleKey { get; init; }

    /// <summary>Index into the correlation's <see cref="CorrelationRule.Rules"/> of the rule that matched.</summary>
    public required int RuleIndex { get; init; }

    /// <summary>Event time of the match.</summary>
    public required Instant Time { get; init; }

    /// <summary>The record (or, for a chained correlation, the synthetic id of the child alert) counted once per group.</summary>
    public required string RecordId { get; init; }

    /// <summary>Values of the rule's group-by fields, in its order; null where the field was absent.</summary>
    public required IReadOnlyList<string?> GroupValues { get; init; }

    /// <summary>value_count / value_percentile: condition field value(s) joined; null when absent.</summary>
    public string? Key { get; init; }

    /// <summary>value_sum / value_avg: the numeric condition field value; NaN when absent or not a number.</summary>
    public double Number { get; init; } = double.NaN;

    /// <summary>Record ids the match stands for (one, or every record under a chained child alert).</summary>
    public required IReadOnlyList<string> RecordIds { get; init; }

    /// <summary>Events the alert can show (one, or up to the alert limit for a chained child alert).</summary>
    public required IReadOnlyList<LogEvent> Events { get; init; }

    /// <summary>A child correlation's alert feeding its parent: not subject to lateness (closed windows are old by construction).</summary>
    public bool Chained { get; init; }

    /// <summary>Rule key and group values as one string: equal for every contribution to the same window, so it decides the partition.</summary>
    public string GroupKey => CorrelationEngine.GroupKeyOf(RuleKey, GroupValues);
}
