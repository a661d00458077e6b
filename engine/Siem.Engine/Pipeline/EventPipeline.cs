using System.Threading.Channels;
using Siem.Core.Envelope;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// consume → open envelope → decode → check batch sequence → detect → index → ack.
/// A durable pull consumer on <see cref="EngineOptions.Stream"/> feeds a bounded buffer (full = the pull waits); an
/// opener task verifies, decrypts and decodes ahead of the processor (EventPipeline.Opening.cs), which takes whatever is
/// opened (up to <see cref="EngineOptions.BatchSize"/> messages) as one group, checks the batch sequences in stream order,
/// writes the group's events and alerts in one index transaction and acks the messages only after it committed.
/// A failed write naks the group (redelivered after <see cref="EngineOptions.NakDelay"/>); writes are idempotent,
/// so a redelivered message is indexed once. Messages that fail verification go to the quarantine stream
/// (reason header, original headers and body) and are acked only after the quarantine stream confirmed them.
/// </summary>
public sealed partial class EventPipeline
{
    private readonly NatsConnection _connection;
    private readonly NatsJSContext _js;
    private readonly IIndexSink _sink;
    private readonly EnvelopeOpener _opener;
    private readonly BatchSequenceTracker _sequences;
    private readonly IDetector _detector;
    private readonly AlertSuppressor _suppressor;
    private readonly EngineOptions _options;
    private readonly EngineStateStore? _state;

    public EventPipeline(NatsConnection connection, IIndexSink sink, EnvelopeOpener opener, BatchSequenceTracker sequences, IDetector? detector = null, EngineOptions? options = null)
    {
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _sink = sink ?? throw new ArgumentNullException(nameof(sink));
        _opener = opener ?? throw new ArgumentNullException(nameof(opener));
        _sequences = sequences ?? throw new ArgumentNullException(nameof(sequences));
        _detector = detector ?? NoDetector.Instance;
        _options = options ?? EngineOptions.Default;
        _js = new NatsJSContext(connection);
        _suppressor = new AlertSuppressor(_options.SuppressionWindow);
        if (_options.StateDir != null)
        {
            _state = new EngineStateStore(_options.StateDir, _options.StateFsyncInterval, Log);
            _state.Restore(_detector, _suppressor);
        }
    }

    public EngineStats Stats { get; } = new();

    /// <summary>Scale-out: the outbox the detector routes correlation matches to; flushed after a group is indexed, before its acks. Null = correlation runs in this process.</summary>
    public ICorrelationOutbox? CorrelationOutbox { get; init; }

    /// <summary>Raised after an alert was indexed: (alert, true when it is new, false when repeats folded into it).</summary>
    public event Action<AlertDocument, bool>? AlertIndexed;

    /// <summary>Creates the durable consumer (idempotent; engines with the same durable name share the work).</summary>
    public Task<NatsJSConsumer> CreateConsumerAsync(CancellationToken cancellationToken = default) =>
        _js.CreateOrUpdateConsumerAsync(_options.Stream, new ConsumerConfig(_options.Durable)
        {
            AckPolicy = AckPolicy.Explicit,
            AckWait = _options.AckWait,
            FilterSubject = _options.FilterSubject,
            MaxAckPending = Math.Max(_options.BufferCapacity + 2 * _options.BatchSize + (_options.StateDir != null ? 2 * _options.MaxMessagesAwaitingSnapshot : 0), 1024),
        }, cancellationToken);

    /// <summary>Runs until cancelled (or the connection closes for good).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var consumer = await CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
        // pull → fetched (BufferCapacity messages) → opener task → opened (about one group) → processing loop.
        // Full = the stage before waits (backpressure into JetStream); nothing is dropped.
        var fetched = Channel.CreateBounded<NatsJSMsg>(new BoundedChannelOptions(_options.BufferCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        var opened = Channel.CreateBounded<OpenedMessage>(new BoundedChannelOptions(_options.BatchSize)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = true,
        });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        // Bodies between the pull and the loop (both channels), and of the messages opened ahead of the loop.
        using var bytesBuffered = new ByteBudget(_options.MaxBufferedBytes);
        using var openedAhead = new ByteBudget(_options.MaxGroupBytes);
        var strandedAtStop = new List<NatsJSMsg>();
        var pull = Task.Run(async () =>
        {
            NatsJSMsg? inHand = null;
            try
            {
                await foreach (var msg in consumer.ConsumeAsync(_options.BatchSize, cancellationToken: stop.Token).ConfigureAwait(false))
                {
                    inHand = msg;
                    Stats.Received();
                    _outstanding[msg] = System.Diagnostics.Stopwatch.GetTimestamp();
                    await bytesBuffered.TakeAsync(msg.Data.Length, stop.Token).ConfigureAwait(false);
                    await fetched.Writer.WriteAsync(msg, stop.Token).ConfigureAwait(false);
                    inHand = null;
                }
                fetched.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                if (inHand != null) lock (strandedAtStop) strandedAtStop.Add(inHand);
                fetched.Writer.TryComplete(ex is OperationCanceledException ? null : ex);
            }
        }, CancellationToken.None);
        var opening = Task.Run(() => OpenAheadAsync(fetched.Reader, opened.Writer, openedAhead, strandedAtStop, stop.Token), CancellationToken.None);
        var keepAlive = Task.Run(() => KeepAliveAsync(stop.Token), CancellationToken.None);

        var group = new List<OpenedMessage>(_options.BatchSize);
        // A stop request ends the pulling but not the group in flight: it is written and acked, bounded by DrainTimeout
        // (an index that hangs must not keep the process alive; an unacked group is redelivered and indexed idempotently).
        using var inFlight = new CancellationTokenSource();
        using var drainOnStop = cancellationToken.Register(() => inFlight.CancelAfter(_options.DrainTimeout));
        try
        {
            while (!cancellationToken.IsCancellationRequested && await WaitForMessagesAsync(opened.Reader, cancellationToken).ConfigureAwait(false))
            {
                await ApplyForgetsAsync(inFlight.Token).ConfigureAwait(false);
                group.Clear();
                long bytes = 0;
                while (group.Count < _options.BatchSize && bytes < _options.MaxGroupBytes && opened.Reader.TryRead(out var m))
                {
                    group.Add(m);
                    int length = m.Msg.Data.Length;
                    bytes += length;
                    openedAhead.Return(length);
                    bytesBuffered.Return(length);
                }
                if (group.Count > 0) await ProcessGroupAsync(group, inFlight.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopped while waiting for messages: nothing was in flight.
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await pull.ConfigureAwait(false); } catch (OperationCanceledException) { }
            await opening.ConfigureAwait(false);
            await keepAlive.ConfigureAwait(false);
            await SnapshotOnStopAsync().ConfigureAwait(false);
            await ReleaseUnprocessedAsync(fetched.Reader, opened.Reader, strandedAtStop).ConfigureAwait(false);
            _outstanding.Clear();
        }
    }

    /// <summary>Emits the detector's pending correlations as alerts (input ended); indexes and publishes them.</summary>
    public async Task FlushDetectionsAsync(CancellationToken cancellationToken = default)
    {
        var hits = new List<DetectionHit>();
        _detector.Flush(hits);
        var alerts = FoldHits(hits, out var isNew);
        if (alerts.Count == 0) return;
        await _sink.WriteAsync([], alerts, cancellationToken).ConfigureAwait(false);
        // No source message to hold back here: an alert whose publish failed is indexed and logged, not delivered, and
        // its hop names no alerts-stream message. Published first, so the hops name theirs.
        var acks = Lineage != null ? new Dictionary<string, PubAck>(StringComparer.Ordinal) : null;
        _ = await PublishAlertsAsync(alerts, isNew, acks, cancellationToken).ConfigureAwait(false);
        if (acks != null)
        {
            await RecordFlushedAlertsLineageAsync(alerts, acks, cancellationToken).ConfigureAwait(false);
            Announce(alerts, isNew, acks);
        }
        _state?.Save(_detector, _suppressor);
    }

    private void Log(string message) => _options.Log?.WriteLine($"engine: {message}");
}
