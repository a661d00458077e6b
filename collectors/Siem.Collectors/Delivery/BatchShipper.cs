using Siem.Collectors.Agent;
using Siem.Collectors.Spool;
using Siem.Core.Envelope;

namespace Siem.Collectors.Delivery;

/// <summary>
/// Delivery with the disk spool as a write-ahead queue: every batch is appended to the spool (already sealed, so
/// the spool never holds plaintext), then published from there with up to <see cref="ShipperOptions.MaxInFlight"/>
/// PubAcks in flight. Acks are taken strictly in order; for each: commit the batch's source checkpoints, then
/// advance the spool cursor. A failed/timed-out ack rewinds to the oldest unacknowledged batch and re-sends from
/// there after <see cref="ShipperOptions.RetryDelay"/> — re-sent batches keep their Nats-Msg-Id, so JetStream drops
/// those it already stored. While the broker is unreachable batches simply accumulate in the spool (bounded:
/// <see cref="SpoolFullPolicy"/>); when it returns they drain in order. After kill -9 the spool still holds every
/// unacknowledged batch; <see cref="Coverage"/> tells the pipeline which re-read lines are already in it, so no
/// line is batched twice.
/// </summary>
internal sealed partial class BatchShipper : IAsyncDisposable
{
    private readonly IBatchPublisher _publisher;
    private readonly DiskSpool _spool;
    private readonly SpoolOptions _spoolOptions;
    private readonly ShipperOptions _options;
    private readonly AgentMetrics _metrics;
    private readonly Action<string> _log;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _wake = new(0);
    private readonly SemaphoreSlim _read = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<ulong, IReadOnlyList<CommitMark>> _marks = [];
    private readonly Task _pump;
    private long _generation;
    private ulong _marksOnlySeq;
    private volatile bool _acking;

    /// <summary>While acks flow, the pipeline stays at most this far ahead of the publisher: the batches in between are
    /// then still in the spool's memory (<see cref="DiskSpool.RecentBytesLimit"/>) instead of being read back from disk,
    /// which cost the agent ~10% of its CPU per line (read, CRC check, a copy of every body). Half the limit: a batch
    /// appended while one more is waiting never pushes an unread one out.</summary>
    private const long MaxUnreadBytes = DiskSpool.RecentBytesLimit / 2;

    public BatchShipper(IBatchPublisher publisher, DiskSpool spool, SpoolOptions spoolOptions, ShipperOptions options, AgentMetrics metrics, Action<string>? log = null)
    {
        _publisher = publisher;
        _spool = spool;
        _spoolOptions = spoolOptions;
        _options = options;
        _metrics = metrics;
        _log = log ?? (_ => { });
        Coverage = ComputeCoverage(spool);
        _pump = Task.Run(PumpLoopAsync);
    }

    /// <summary>Per source key, the resume offset up to which lines are already in unacknowledged spooled batches (from before a restart).</summary>
    public IReadOnlyDictionary<string, long> Coverage { get; }

    /// <summary>The highest batch sequence acknowledged (or given up) in this run; acks complete in order, so every
    /// batch still unacknowledged has a higher one. 0 before the first.</summary>
    public ulong CompletedThrough => Interlocked.Read(ref _completedThrough);
    private ulong _completedThrough;

    public long SpoolBytes { get { lock (_gate) return _spool.PendingBytes; } }
    public long SpoolBatches { get { lock (_gate) return _spool.PendingBatches; } }

    /// <summary>
    /// Appends the next batch to the spool (callers send in sequence order) and wakes the publisher. When the spool
    /// is full: backpressure waits here (so the pipeline and the sources stop); drop-oldest deletes the oldest segment.
    /// </summary>
    public async ValueTask SendAsync(OutgoingBatch batch, CancellationToken cancellationToken)
    {
        var envelope = batch.Envelope ?? new SealedEnvelope([], [], "") { BatchSeq = Interlocked.Increment(ref _marksOnlySeq) | (1UL << 63) };
        var entry = new SpoolEntry(batch.Subject, batch.RecordCount, envelope)
        {
            Coverage = [.. batch.Marks.Select(m => new KeyValuePair<string, long>(m.UpTo.SourceKey, m.UpTo.NextOffset))],
        };
        await WaitForPublisherAsync(cancellationToken).ConfigureAwait(false);
        var waitingLogged = false;
        while (true)
        {
            bool empty;
            lock (_gate)
            {
                if (_spool.TryAppend(entry))
                {
                    _marks[envelope.BatchSeq] = batch.Marks;
                    if (!_publisher.IsConnected && !entry.IsMarksOnly) _metrics.Spooled();
                    break;
                }
                empty = _spool.IsEmpty;
                if (!empty && _spoolOptions.FullPolicy == SpoolFullPolicy.DropOldest)
                {
                    var (batches, records) = _spool.DropOldest();
                    _generation++;
                    _metrics.Dropped(batches, records);
                    _log($"spool full: dropped the oldest {batches} batches ({records} records)");
                    continue;
                }
            }
            if (empty)
            {
                _metrics.Dropped(1, batch.RecordCount);
                _metrics.Error();
                _log($"batch {envelope.BatchSeq} ({envelope.Body.Length} bytes) is larger than the whole spool; dropped");
                return;
            }
            if (!waitingLogged)
            {
                _log("spool full: pausing sources until the broker takes batches again");
                waitingLogged = true;
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        _wake.Release();
    }

    /// <summary>Waits while the broker acknowledges and the publisher has <see cref="MaxUnreadBytes"/> still to read; with the
    /// broker away or refusing, batches go on into the spool on disk (that is what it is for).</summary>
    private async ValueTask WaitForPublisherAsync(CancellationToken cancellationToken)
    {
        while (_acking && _publisher.IsConnected)
        {
            lock (_gate)
            {
                if (_spool.UnreadBytes < MaxUnreadBytes) return;
            }
            // Released after each read; the timeout re-checks a broker that went away meanwhile.
            await _read.WaitAsync(ReadWaitRecheck, cancellationToken).ConfigureAwait(false);
        }
    }

    private static readonly TimeSpan ReadWaitRecheck = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// Graceful shutdown: waits until the spool is empty (everything acknowledged and committed) or
    /// <paramref name="cancellationToken"/> fires; what is left stays spooled for the next run.
    /// </summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (SpoolBatches > 0) await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _pump.ConfigureAwait(false);
        _stop.Dispose();
        _wake.Dispose();
        _read.Dispose();
    }

    private static Dictionary<string, long> ComputeCoverage(DiskSpool spool)
    {
        var coverage = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var entry in spool.ReadAllPending())
        {
            foreach (var (key, next) in entry.Coverage)
            {
                coverage[key] = Math.Max(next, coverage.GetValueOrDefault(key, long.MinValue));
            }
        }
        spool.Sync(); // the coverage decides which lines are skipped: the entries behind it must be on disk
        return coverage;
    }
}
