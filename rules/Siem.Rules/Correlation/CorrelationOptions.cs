using NodaTime;

namespace Siem.Rules.Correlation;

/// <summary>Options of a <see cref="CorrelationEngine"/>. Defaults suit a single engine on one machine.</summary>
public sealed record CorrelationOptions
{
    public static CorrelationOptions Default { get; } = new();

    /// <summary>
    /// How far behind the watermark (the latest event time seen) an event may arrive and still be counted.
    /// Older events are dropped and counted in <see cref="CorrelationStats.LateDropped"/>. Default 5 minutes.
    /// </summary>
    public Duration AllowedLateness { get; init; } = Duration.FromMinutes(5);

    /// <summary>Groups kept per rule; when full the least recently updated group is evicted (counted). Default 10,000.</summary>
    public int MaxGroupsPerRule { get; init; } = 10_000;

    /// <summary>Matches kept per group; when full the oldest is evicted (counted). Default 1,000.</summary>
    public int MaxEventsPerGroup { get; init; } = 1_000;

    /// <summary>Contributing events carried by one alert (record ids are all kept, up to <see cref="MaxEventsPerGroup"/>). Default 20.</summary>
    public int MaxEventsPerAlert { get; init; } = 20;

    /// <summary>
    /// Fields of a matched event worth keeping in the open windows (for what an alert shows): a window then holds a copy
    /// of each event with only these fields (plus those chained correlations look up), without the original line, so the
    /// state and its snapshots stay small. Null keeps whole events (offline tools that print them). Default null.
    /// </summary>
    public IReadOnlyCollection<string>? KeptEventFields { get; init; }

    /// <summary>Optional mapper so group-by/condition fields in Sigma taxonomy resolve to event fields per the base rule's logsource.</summary>
    public IFieldMapper? FieldMapper { get; init; }

    /// <summary>
    /// Scale-out: a chained correlation's alert is not fed to its parent here but handed out by
    /// <see cref="CorrelationEngine.TakeChained"/>, because the parent's group may live in another partition. Default false.
    /// </summary>
    public bool RouteChainedMatches { get; init; }
}
