using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>A correlation rule that fired for one group.</summary>
public sealed class CorrelationAlert
{
    public required CorrelationRule Rule { get; init; }

    /// <summary>The group-by field (or alias) → value for this group, in the rule's group-by order; null when the field was absent.</summary>
    public required IReadOnlyDictionary<string, string?> GroupBy { get; init; }

    /// <summary>Event time of the first and last contributing match.</summary>
    public Instant First { get; init; }

    public Instant Last { get; init; }

    /// <summary>Number of contributing matches.</summary>
    public long Count { get; init; }

    /// <summary>The aggregate the condition was tested on: count, distinct values, distinct rules, sum, average or percentage.</summary>
    public double Value { get; init; }

    /// <summary>For value_percentile: the field value whose share of the window satisfied the condition.</summary>
    public string? ValueKey { get; init; }

    /// <summary>Record ids of every contributing event (for chained rules: of the underlying events).</summary>
    public required IReadOnlyList<string> RecordIds { get; init; }

    /// <summary>Contributing events, at most <see cref="CorrelationOptions.MaxEventsPerAlert"/>.</summary>
    public required IReadOnlyList<LogEvent> Events { get; init; }
}
