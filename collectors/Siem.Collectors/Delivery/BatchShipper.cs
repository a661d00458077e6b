using System.Threading.Channels;
using Siem.Collectors.Agent;
using Siem.Collectors.Spool;
using Siem.Nats;

namespace Siem.Collectors.Delivery;

/// <summary>
/// Publishes sealed batches with many PubAcks in flight and advances source checkpoints strictly in batch
/// order, only once a batch is durable: acknowledged by JetStream, or fsynced in the disk spool.
/// While the broker is unreachable (or the spool still holds older batches) new batches go to the spool, so
/// the spool drains in order; a drained batch keeps its Nats-Msg-Id, so one that was both published and
/// spooled is deduplicated by JetStream. The in-flight queue is bounded: when full, <see cref="SendAsync"/>
/// waits, which stops the pipeline and therefore the sources (backpressure).
/// </summary>
internal sealed partial class BatchShipper : IAsyncDisposable
{
    private readonly IBatchPublisher _publisher;
    private readonly DiskSpool _spool;
    private readonly SpoolOptions _spoolOptions;
    private readonly ShipperOptions _options;
    private readonly AgentMetrics _metrics;
    private readonly Action<string> _log;
    private readonly Channel<InFlight> _fifo;
    private readonly object _gate = new();
    private readonly SemaphoreSlim _drainSignal = new(0);
    private readonly SemaphoreSlim _spaceSignal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _completer;
    private readonly Task _drainer;
    private bool _spooling;
    private int _pendingSpoolAppends;

    public BatchShipper(IBatchPublisher publisher, DiskSpool spool, SpoolOptions spoolOptions, ShipperOptions options, AgentMetrics metrics, Action<string>? log = null)
    {
        _publisher = publisher;
        _spool = spool;
        _spoolOptions = spoolOptions;
        _options = options;
        _metrics = metrics;
        _log = log ?? (_ => { });
        _fifo = Channel.CreateBounded<InFlight>(new BoundedChannelOptions(options.MaxInFlight) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
        _spooling = !spool.IsEmpty; // leftovers from the last run drain before anything new is published
        _completer = Task.Run(CompleteLoopAsync);
        _drainer = Task.Run(DrainLoopAsync);
        if (_spooling) _drainSignal.Release();
    }

    public long SpoolBytes { get { lock (_gate) return _spool.PendingBytes; } }
    public long SpoolBatches { get { lock (_gate) return _spool.PendingBatches; } }
    public bool Spooling { get { lock (_gate) return _spooling; } }

    /// <summary>Hands over the next batch (callers send in sequence order). Waits when the in-flight window is full.</summary>
    public async ValueTask SendAsync(OutgoingBatch batch, CancellationToken cancellationToken)
    {
        bool toSpool;
        lock (_gate)
        {
            toSpool = _spooling || !_publisher.IsConnected;
            if (toSpool) _pendingSpoolAppends++;
        }
        Task? ack = null;
        if (!toSpool)
        {
            try
            {
                ack = await _publisher.PublishAsync(batch.Subject, batch.Envelope, cancellationToken).ConfigureAwait(false);
            }
            catch (NatsPayloadTooLargeException e)
            {
                // Retrying can never succeed: count the records as dropped and let the checkpoints move on.
                _log($"batch {batch.Envelope.BatchSeq} dropped: {e.Message}");
                _metrics.Error();
                ack = Task.FromException(e);
            }
            catch (NatsException e)
            {
                _log($"publish of batch {batch.Envelope.BatchSeq} failed ({e.Message}); spooling");
                lock (_gate) _pendingSpoolAppends++;
                toSpool = true;
            }
        }
        await _fifo.Writer.WriteAsync(new InFlight(batch, ack, toSpool), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Graceful shutdown: waits until every handed-over batch is acknowledged or spooled (and its checkpoints
    /// committed), then tries to drain the spool until <paramref name="cancellationToken"/> fires. What is
    /// left stays in the spool for the next run.
    /// </summary>
    public async Task FlushAndStopAsync(CancellationToken cancellationToken)
    {
        _fifo.Writer.TryComplete();
        await _completer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (SpoolBatches > 0 && _publisher.IsConnected)
            {
                await Task.Delay(20, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
        }
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _drainer.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        _fifo.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_completer, _drainer).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        _stop.Dispose();
        _drainSignal.Dispose();
        _spaceSignal.Dispose();
    }

    private sealed record InFlight(OutgoingBatch Batch, Task? Ack, bool RoutedToSpool);
}
