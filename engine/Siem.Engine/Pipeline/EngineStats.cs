using System.Collections.Concurrent;

namespace Siem.Engine.Pipeline;

/// <summary>Counters of the pipeline (thread-safe reads while it runs).</summary>
public sealed class EngineStats
{
    private long _messagesReceived, _messagesOpened, _messagesAcked, _messagesNaked, _eventsIndexed, _alertsRaised, _alertsUpdated, _quarantined, _redeliveries, _indexErrors, _alertPublishErrors, _purgeDropped;
    private readonly ConcurrentDictionary<string, long> _quarantinedByReason = new(StringComparer.Ordinal);

    /// <summary>Messages pulled from the stream (a redelivery counts again).</summary>
    public long MessagesReceived => Interlocked.Read(ref _messagesReceived);
    /// <summary>Messages the opener stage verified, decrypted and decoded (or refused) ahead of the processing loop.</summary>
    public long MessagesOpened => Interlocked.Read(ref _messagesOpened);
    /// <summary>Messages acked: indexed, or quarantined.</summary>
    public long MessagesAcked => Interlocked.Read(ref _messagesAcked);
    public long MessagesNaked => Interlocked.Read(ref _messagesNaked);
    /// <summary>Events written in confirmed index transactions (a redelivered batch counts again; the index stores it once).</summary>
    public long EventsIndexed => Interlocked.Read(ref _eventsIndexed);
    public long AlertsRaised => Interlocked.Read(ref _alertsRaised);
    public long AlertsUpdated => Interlocked.Read(ref _alertsUpdated);
    public long Quarantined => Interlocked.Read(ref _quarantined);
    /// <summary>Messages delivered more than once (after a nak, a lost ack or out-of-order processing), re-indexed idempotently.</summary>
    public long Redeliveries => Interlocked.Read(ref _redeliveries);
    public long IndexErrors => Interlocked.Read(ref _indexErrors);
    public long AlertPublishErrors => Interlocked.Read(ref _alertPublishErrors);
    public IReadOnlyDictionary<string, long> QuarantinedByReason => _quarantinedByReason;
    /// <summary>Records of purged subjects dropped on arrival by the forward filter (never indexed).</summary>
    public long PurgeDropped => Interlocked.Read(ref _purgeDropped);
    /// <summary>CPU time per stage of the processing loop (and of the background snapshot).</summary>
    public StageCpu Cpu { get; } = new();

    internal void Received() => Interlocked.Increment(ref _messagesReceived);
    internal void Opened() => Interlocked.Increment(ref _messagesOpened);
    internal void Acked(int n) => Interlocked.Add(ref _messagesAcked, n);
    internal void Naked(int n) => Interlocked.Add(ref _messagesNaked, n);
    internal void Indexed(int events) => Interlocked.Add(ref _eventsIndexed, events);
    internal void AlertRaised() => Interlocked.Increment(ref _alertsRaised);
    internal void AlertUpdated() => Interlocked.Increment(ref _alertsUpdated);
    internal void Redelivered() => Interlocked.Increment(ref _redeliveries);
    internal void IndexError() => Interlocked.Increment(ref _indexErrors);
    internal void AlertPublishError() => Interlocked.Increment(ref _alertPublishErrors);
    internal void PurgeDroppedOne() => Interlocked.Increment(ref _purgeDropped);

    internal void QuarantinedOne(string reason)
    {
        Interlocked.Increment(ref _quarantined);
        _quarantinedByReason.AddOrUpdate(reason, 1, (_, n) => n + 1);
    }
}
