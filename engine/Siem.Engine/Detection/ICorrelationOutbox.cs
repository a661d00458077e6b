using NodaTime;
using Siem.Rules.Correlation;

namespace Siem.Engine.Detection;

/// <summary>
/// Scale-out seam: where the correlation contributions of one processing group go when correlation windows live on
/// the engines owning their partitions instead of in this process. The detector adds contributions while it detects;
/// the pipeline flushes them after the group is indexed and before it acks the group's messages, so a contribution is
/// never lost to a crash (an unacked message is redelivered and detected again), and discards them when the group
/// fails (the redelivery produces them again).
/// </summary>
public interface ICorrelationOutbox
{
    /// <summary>Queues one contribution of the group being detected.</summary>
    void Add(CorrelationContribution contribution);

    /// <summary>Publishes what is queued and returns once the broker confirmed all of it; throws otherwise (the pipeline then naks the group).</summary>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Drops what is queued (the group was not committed).</summary>
    void Discard();

    /// <summary>
    /// The event time of every event of the group, matching or not: windows decided only when they close (upper
    /// bounds, averages) close when event time passes their end, also in partitions no later match reaches.
    /// </summary>
    void Observe(Instant eventTime);
}
