using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>One match counted into a group's window.</summary>
internal sealed class CorrelationEntry
{
    public required Instant Time { get; init; }

    public required string RecordId { get; init; }

    /// <summary>Index into <see cref="CorrelationRule.Rules"/> of the rule that matched.</summary>
    public required int RuleIndex { get; init; }

    /// <summary>value_count / value_percentile: the value(s) of condition.field joined; null when absent.</summary>
    public string? Key { get; init; }

    /// <summary>value_sum / value_avg: the numeric value of condition.field; NaN when absent or not a number.</summary>
    public double Number { get; init; } = double.NaN;

    public required string[] RecordIds { get; init; }

    public required LogEvent[] Events { get; init; }
}

/// <summary>The open window(s) of one group of one correlation rule.</summary>
internal sealed class CorrelationGroup(string key, string?[] values)
{
    public string Key { get; } = key;

    public string?[] Values { get; } = values;

    /// <summary>Sorted by event time; equal times keep arrival order.</summary>
    public List<CorrelationEntry> Entries { get; } = [];

    /// <summary>(record id, rule index or −1) → event time, so a redelivered record is not counted twice.</summary>
    public Dictionary<(string RecordId, int RuleIndex), Instant> Seen { get; } = [];

    public LinkedListNode<CorrelationGroup>? LruNode { get; set; }

    public void Insert(CorrelationEntry entry)
    {
        // Binary search for the first entry later than the new one, so equal times stay in arrival order.
        int lo = 0, hi = Entries.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (Entries[mid].Time <= entry.Time)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }
        Entries.Insert(lo, entry);
    }
}

/// <summary>Runtime state of one correlation rule: its groups, an LRU for the group cap, its links and counters.</summary>
internal sealed class CorrelationRuleState(CorrelationRule rule)
{
    public CorrelationRule Rule { get; } = rule;

    public Dictionary<string, CorrelationGroup> Groups { get; } = new(StringComparer.Ordinal);

    /// <summary>Least recently updated first.</summary>
    public LinkedList<CorrelationGroup> Lru { get; } = new();

    public CorrelationStats Stats { get; } = new();

    /// <summary>Correlations that reference this one (chaining): they receive its alerts as matches.</summary>
    public List<(CorrelationRuleState Parent, int RuleIndex, string Reference)> Parents { get; } = [];

    /// <summary>Alerts of this rule are emitted unless only referenced by correlations with generate: false.</summary>
    public bool Emit { get; set; } = true;

    /// <summary>Decided as soon as enough matches arrived (lower-bound condition on a non-decreasing aggregate).</summary>
    public bool FiresEarly { get; } = rule.Condition.IsLowerBoundOnly && rule.Type is not (CorrelationType.ValueAvg or CorrelationType.ValuePercentile);

    /// <summary>event_count/value_* count a record once even if it matched several referenced rules.</summary>
    public bool CountsPerRule { get; } = rule.Type is CorrelationType.Temporal or CorrelationType.TemporalOrdered;

    public long AlertSequence { get; set; }

    /// <summary>The event fields its windows keep (<see cref="CorrelationOptions.KeptEventFields"/>); null = whole events.</summary>
    public HashSet<string>? KeptFields { get; set; }
}
