using Siem.Lineage.Ledger;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Hops;

/// <summary>
/// Stores the hops of <see cref="LineageStreams.Stream"/> in the ledger: a durable pull consumer
/// (<see cref="LineageStreams.LedgerDurable"/>) whose messages are acked only after the ledger write committed. A failed
/// write naks the hop (redelivered after <see cref="NakDelay"/>; writes are idempotent). A hop that cannot be decoded is
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

    /// <summary>Runs until cancelled (or the connection closes for good).</summary>
    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var consumer = await CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
        await foreach (var msg in consumer.ConsumeAsync(BatchSize, cancellationToken: cancellationToken).ConfigureAwait(false))
            await HandleAsync(msg, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>True when every hop published so far is stored and acked (nothing pending, nothing unacked).</summary>
    public async Task<bool> IsDrainedAsync(CancellationToken cancellationToken = default)
    {
        var info = await _js.GetConsumerInfoAsync(LineageStreams.Stream, LineageStreams.LedgerDurable, cancellationToken).ConfigureAwait(false);
        return info.NumPending == 0 && info.NumAckPending == 0;
    }

    private async Task HandleAsync(NatsJSMsg msg, CancellationToken cancellationToken)
    {
        try
        {
            await StoreAsync(msg.Subject, msg.Data, cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            Interlocked.Increment(ref _rejected);
            _log($"lineage hop {msg.Subject} (stream seq {SeqOf(msg)}) rejected: {ex.Message}");
            await TryAsync(() => msg.TermAsync(cancellationToken)).ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _failed);
            _log($"ledger write of hop {msg.Subject} (stream seq {SeqOf(msg)}) failed, will be redelivered: {ex.GetType().Name}: {ex.Message}");
            await TryAsync(() => msg.NakAsync(NakDelay, cancellationToken)).ConfigureAwait(false);
            return;
        }
        Interlocked.Increment(ref _stored);
        await TryAsync(() => msg.AckAsync(cancellationToken)).ConfigureAwait(false);
    }

    private async Task StoreAsync(string subject, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        switch (subject)
        {
            case LineageStreams.BatchSubject:
                await _ledger.RecordBatchAsync(LineageJson.DecodeBatch(data.Span), cancellationToken).ConfigureAwait(false);
                break;
            case LineageStreams.AlertSubject:
                await _ledger.RecordAlertsAsync([LineageJson.DecodeAlert(data.Span)], cancellationToken).ConfigureAwait(false);
                break;
            case LineageStreams.DeliverySubject:
                await _ledger.RecordDeliveryAsync(LineageJson.DecodeDelivery(data.Span), cancellationToken).ConfigureAwait(false);
                break;
            default:
                throw new FormatException($"unknown lineage subject '{subject}' (expected {LineageStreams.BatchSubject}, {LineageStreams.AlertSubject} or {LineageStreams.DeliverySubject})");
        }
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
