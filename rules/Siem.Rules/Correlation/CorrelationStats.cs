namespace Siem.Rules.Correlation;

/// <summary>Counters of one correlation rule (or of the whole engine when summed).</summary>
public sealed class CorrelationStats
{
    /// <summary>Matches of referenced rules that were counted into a window.</summary>
    public long Accepted { get; internal set; }

    /// <summary>Matches older than watermark − allowed lateness: dropped, never counted.</summary>
    public long LateDropped { get; internal set; }

    /// <summary>The same record for the same referenced rule seen again (redelivery): ignored.</summary>
    public long Duplicates { get; internal set; }

    /// <summary>Whole groups evicted because the rule reached <see cref="CorrelationOptions.MaxGroupsPerRule"/>.</summary>
    public long GroupsEvicted { get; internal set; }

    /// <summary>Matches evicted from a group that reached <see cref="CorrelationOptions.MaxEventsPerGroup"/>.</summary>
    public long EventsEvicted { get; internal set; }

    /// <summary>Alerts produced (emitted or fed to a chained correlation).</summary>
    public long Alerts { get; internal set; }

    internal void Add(CorrelationStats o)
    {
        Accepted += o.Accepted;
        LateDropped += o.LateDropped;
        Duplicates += o.Duplicates;
        GroupsEvicted += o.GroupsEvicted;
        EventsEvicted += o.EventsEvicted;
        Alerts += o.Alerts;
    }
}
