using NodaTime;

namespace Siem.Engine.Alerts;

/// <summary>
/// An alert as indexed, published on <c>siem.alerts.&lt;level&gt;</c> and delivered to channels.
/// Repeats of the same rule and group key within the suppression window fold into one alert:
/// the same <see cref="AlertId"/> with a higher <see cref="Count"/> and a later <see cref="LastSeen"/>.
/// </summary>
public sealed record AlertDocument
{
    public required string AlertId { get; init; }
    public required string RuleId { get; init; }
    public string Title { get; init; } = "";
    /// <summary>Sigma level: informational, low, medium, high, critical.</summary>
    public string Level { get; init; } = "medium";
    /// <summary>"detection" for a single-event rule, "correlation" for a Sigma correlation rule.</summary>
    public string Kind { get; init; } = "detection";
    public string? Description { get; init; }
    /// <summary>Sigma tags, e.g. <c>attack.t1110.001</c>.</summary>
    public IReadOnlyList<string> Tags { get; init; } = [];
    /// <summary>Record ids of the matched events (capped at <see cref="AlertSuppressor.MaxRecordIds"/>; <see cref="Count"/> keeps counting).</summary>
    public IReadOnlyList<string> RecordIds { get; init; } = [];
    /// <summary>The values the alert is grouped by (for example source.ip and user.name).</summary>
    public IReadOnlyDictionary<string, string> GroupBy { get; init; } = new Dictionary<string, string>();
    /// <summary>Key fields of the first matched event (source.ip, user.name, host.name, command line...) for the person on call.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public Instant FirstSeen { get; init; }
    public Instant LastSeen { get; init; }
    public long Count { get; init; } = 1;
    /// <summary>True for alerts produced by <c>siem rules replay</c> over stored history, not live.</summary>
    public bool Backfill { get; init; }
}
