using System.Threading.Channels;
using Siem.Lineage.Ledger;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Hops;

/// <summary>
/// Stores the hops of <see cref="LineageStreams.Stream"/> in the ledger: a durable pull consumer
/// (<see cref="LineageStreams.LedgerDurable"/>) whose messages are acked only after the ledger write committed (one
/// transaction per group of buffered hops). A failed write naks the group (redelivered after <see cref="NakDelay"/>; writes are idempotent). A hop that cannot be decoded is
/// terminated (it would fail forever), counted in <see cref="Rejected"/> and logged with its stream sequence.
/// Run one per ledger (the stream is a work queue).
/// </summary>
public sealed class LedgerConsumer
{
    private readonly NatsJSContext _js;
    private readonly LineageLedger _ledger;
    private readonly Action<string> _log;
    private long _stored, _rejected, _failed;

    public LedgerConsumer(NatsConnection connection, LineageLedger ledger, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _js = new NatsJSContext(connection);
        _log = log ?? (_ => { });
    }

    public TimeSpan NakDelay { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Hops pulled per request.</summary>
    public int BatchSize { get; init; } = 256;

    public long Stored => Interlocked.Read(ref _stored);
    public long Rejected => Interlocked.Read(ref _rejected);
    public long WriteFailures => Interlocked.Read(ref _failed);

    /// <summary>Creates the stream and the durable consumer (idempotent).</summary>
    public async Task<NatsJSConsumer> CreateConsumerAsync(CancellationToken cancellationToken = default)
    {
        await LineageStreams.EnsureAsync(_js, cancellationToken).ConfigureAwait(false);
        return await _js.CreateOrUpdateConsumerAsync(LineageStreams.Stream, new ConsumerConfig(LineageStreams.LedgerDurable)
        {
            AckPolicy = AckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(30),
            FilterSubject = "siem.lineage.>",
            MaxAckPending = Math.Max(BatchSize * 2, 1024),
        }, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs until cancelled (or the connection closes for good). The pull fills a bounded buffer (full = the pull waits);
    /// whatever is buffered (up to <see cref="BatchSize"/> hops) is written in one ledger transaction and then acked.
    /// </summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var consumer = await CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
        var buffer = Channel.CreateBounded<NatsJSMsg>(new BoundedChannelOptions(BatchSize * 2) { FullMode = BoundedChannelFullMode.Wait, SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pull = Task.Run(async () =>
        {
            try
            {
                await foreach (var msg in consumer.ConsumeAsync(BatchSize, cancellationToken: stop.Token).ConfigureAwait(false))
                    await buffer.Writer.WriteAsync(msg, stop.Token).ConfigureAwait(false);
                buffer.Writer.TryComplete();
            }
            catch (Exception ex)
            {
                buffer.Writer.TryComplete(ex is OperationCanceledException ? null : ex);
            }
        }, CancellationToken.None);
        var group = new List<NatsJSMsg>(BatchSize);
        try
        {
            while (await buffer.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
            {
                group.Clear();
                while (group.Count < BatchSize && buffer.Reader.TryRead(out var m)) group.Add(m);
                await HandleGroupAsync(group, cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            await stop.CancelAsync().ConfigureAwait(false);
            try { await pull.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
    }

    /// <summary>True when every hop published so far is stored and acked (nothing pending, nothing unacked).</summary>
    public async Task<bool> IsDrainedAsync(CancellationToken cancellationToken = default)
    {
        var info = await _js.GetConsumerInfoAsync(LineageStreams.Stream, LineageStreams.LedgerDurable, cancellationToken).ConfigureAwait(false);
        return info.NumPending == 0 && info.NumAckPending == 0;
    }

    private async Task HandleGroupAsync(List<NatsJSMsg> group, CancellationToken cancellationToken)
    {
        var batches = new List<BatchLineage>();
        var alerts = new List<AlertLineage>();
        var deliveries = new List<DeliveryLineage>();
        var decoded = new List<NatsJSMsg>(group.Count);
        foreach (var msg in group)
        {
            try
            {
                switch (msg.Subject)
                {
                    case LineageStreams.BatchSubject: batches.Add(LineageJson.DecodeBatch(msg.Data.Span)); break;
                    case LineageStreams.AlertSubject: alerts.Add(LineageJson.DecodeAlert(msg.Data.Span)); break;
                    case LineageStreams.DeliverySubject: deliveries.Add(LineageJson.DecodeDelivery(msg.Data.Span)); break;
                    default: throw new FormatException($"unknown lineage subject '{msg.Subject}' (expected {LineageStreams.BatchSubject}, {LineageStreams.AlertSubject} or {LineageStreams.DeliverySubject})");
                }
                decoded.Add(msg);
            }
            catch (FormatException ex)
            {
                Interlocked.Increment(ref _rejected);
                _log($"lineage hop {msg.Subject} (stream seq {SeqOf(msg)}) rejected: {ex.Message}");
                await TryAsync(() => msg.TermAsync(cancellationToken)).ConfigureAwait(false);
            }
        }
        if (decoded.Count == 0) return;
        try
        {
            await _ledger.RecordHopsAsync(batches, alerts, deliveries, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            _log($"ledger write of {decoded.Count} hops failed, they will be redelivered: {ex.GetType().Name}: {ex.Message}");
            foreach (var msg in decoded) await TryAsync(() => msg.NakAsync(NakDelay, cancellationToken)).ConfigureAwait(false);
            return;
        }
        Interlocked.Add(ref _stored, decoded.Count);
        foreach (var msg in decoded) await TryAsync(() => msg.AckAsync(cancellationToken)).ConfigureAwait(false);
    }

    private static string SeqOf(NatsJSMsg msg)
    {
        try { return msg.Metadata.StreamSeq.ToString(System.Globalization.CultureInfo.InvariantCulture); }
        catch (NatsJSException) { return "?"; }
    }

    private async Task TryAsync(Func<ValueTask> send)
    {
        try
        {
            await send().ConfigureAwait(false);
        }
        catch (NatsException ex)
        {
            // Unacked hops come back after the ack wait; the ledger stores them idempotently.
            _log($"lineage ack/nak failed ({ex.Message}); the hop will be redelivered");
        }
    }
}
