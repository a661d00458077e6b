using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Siem.Collectors.Agent;

/// <summary>
/// The agent's counters, kept as plain fields (for the status file and tests) and exported through the
/// <c>Siem.Agent</c> <see cref="Meter"/> as observable counters (OpenTelemetry can export them).
/// </summary>
public sealed class AgentMetrics : IDisposable
{
    public const string MeterName = "Siem.Agent";
    private readonly Meter _meter;
    private long _linesRead, _recordsShipped, _batchesAcked, _batchesSpooled, _batchesDrained, _recordsDropped, _batchesDropped, _errors, _commits;
    private readonly ConcurrentDictionary<string, long> _checkpoints = new(StringComparer.Ordinal);

    public AgentMetrics()
    {
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("siem.agent.lines_read", () => LinesRead, "{line}", "Lines read from all sources");
        _meter.CreateObservableCounter("siem.agent.records_shipped", () => RecordsShipped, "{record}", "Records in batches acknowledged by JetStream");
        _meter.CreateObservableCounter("siem.agent.batches_acked", () => BatchesAcked, "{batch}", "Batches acknowledged by JetStream (direct or drained from the spool)");
        _meter.CreateObservableCounter("siem.agent.batches_spooled", () => BatchesSpooled, "{batch}", "Batches written to the disk spool");
        _meter.CreateObservableCounter("siem.agent.records_dropped", () => RecordsDropped, "{record}", "Records lost on purpose (drop-oldest spool policy, oversize batch)");
        _meter.CreateObservableCounter("siem.agent.errors", () => Errors, "{error}", "Errors (publish, commit, parse pipeline)");
    }

    public long LinesRead => Interlocked.Read(ref _linesRead);
    public long RecordsShipped => Interlocked.Read(ref _recordsShipped);
    public long BatchesAcked => Interlocked.Read(ref _batchesAcked);
    public long BatchesSpooled => Interlocked.Read(ref _batchesSpooled);
    public long BatchesDrained => Interlocked.Read(ref _batchesDrained);
    public long RecordsDropped => Interlocked.Read(ref _recordsDropped);
    public long BatchesDropped => Interlocked.Read(ref _batchesDropped);
    public long Errors => Interlocked.Read(ref _errors);
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Last committed resume offset per source key.</summary>
    public IReadOnlyDictionary<string, long> Checkpoints => _checkpoints;

    internal void LineRead() => Interlocked.Increment(ref _linesRead);
    internal void Acked(int records)
    {
        Interlocked.Increment(ref _batchesAcked);
        Interlocked.Add(ref _recordsShipped, records);
    }
    internal void Spooled() => Interlocked.Increment(ref _batchesSpooled);
    internal void Drained() => Interlocked.Increment(ref _batchesDrained);
    internal void Dropped(long batches, long records)
    {
        Interlocked.Add(ref _batchesDropped, batches);
        Interlocked.Add(ref _recordsDropped, records);
    }
    internal void Error() => Interlocked.Increment(ref _errors);
    internal void Committed(string sourceKey, long nextOffset)
    {
        Interlocked.Increment(ref _commits);
        _checkpoints[sourceKey] = nextOffset;
    }

    public void Dispose() => _meter.Dispose();
}
