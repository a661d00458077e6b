using System.Diagnostics;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Acks deferred to the state snapshot. With a state dir, the correlation and suppression state is snapshotted every
/// <see cref="EngineOptions.StateSnapshotInterval"/> (or when <see cref="EngineOptions.MaxMessagesAwaitingSnapshot"/>
/// indexed messages wait), not after every group: serialising every open window and alert per group cost more CPU
/// than detection and indexing together. A message is acked only once a snapshot that includes its effects is on disk,
/// so a kill -9 redelivers exactly the messages the restored state has not seen (or has, and ignores by record id).
/// Alerts are indexed and published when their group is written, so the deferral delays only the acks, not alerts.
/// </summary>
public sealed partial class EventPipeline
{
    private readonly List<NatsJSMsg> _awaitingSnapshot = [];
    private long _lastSnapshotAt = Stopwatch.GetTimestamp();
    private long _snapshotErrors;

    /// <summary>Indexed messages whose ack waits for the next state snapshot.</summary>
    public int MessagesAwaitingSnapshot => Volatile.Read(ref _awaitingCount);
    private int _awaitingCount;

    /// <summary>State snapshots that could not be written (the acks they cover wait for the next one).</summary>
    public long SnapshotErrors => Interlocked.Read(ref _snapshotErrors);

    /// <summary>Acks an indexed group now (no state dir) or after the snapshot that covers it.</summary>
    private async Task SettleIndexedAsync(List<NatsJSMsg> accepted, CancellationToken cancellationToken)
    {
        if (_state == null)
        {
            await AckAllAsync(accepted, cancellationToken).ConfigureAwait(false);
            return;
        }
        _awaitingSnapshot.AddRange(accepted);
        Volatile.Write(ref _awaitingCount, _awaitingSnapshot.Count);
        CollectFinishedSnapshot();
        if (_awaitingSnapshot.Count >= _options.MaxMessagesAwaitingSnapshot || UntilSnapshotDue() <= TimeSpan.Zero)
            await StartSnapshotAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Snapshots are spaced at least this many times their own duration apart, so they take at most ~5 % of the
    /// engine's time however large the state grows (many open windows) or however loaded the machine is.</summary>
    private const int SnapshotSpacing = 19;
    /// <summary>The longest the pacing may stretch the interval (with <see cref="EngineOptions.MaxMessagesAwaitingSnapshot"/>
    /// it bounds how much is reprocessed after a crash).</summary>
    private static readonly TimeSpan MaxPacedInterval = TimeSpan.FromMinutes(2);
    private TimeSpan _lastSnapshotTook;
    private static readonly TimeSpan SlowSnapshot = TimeSpan.FromSeconds(1);

    private TimeSpan UntilSnapshotDue()
    {
        var paced = TimeSpan.FromTicks(Math.Min(_lastSnapshotTook.Ticks * SnapshotSpacing, MaxPacedInterval.Ticks));
        var interval = paced > _options.StateSnapshotInterval ? paced : _options.StateSnapshotInterval;
        return interval - Stopwatch.GetElapsedTime(_lastSnapshotAt);
    }

    /// <summary>
    /// Waits for buffered messages like <see cref="System.Threading.Channels.ChannelReader{T}.WaitToReadAsync"/>, but
    /// takes the snapshot (and sends the acks waiting for it) when it falls due while the buffer is empty, so an idle
    /// engine does not hold acks until AckWait; and wakes when a snapshot in flight finishes, to collect its outcome.
    /// </summary>
    private async Task<bool> WaitForMessagesAsync(System.Threading.Channels.ChannelReader<OpenedMessage> reader, CancellationToken cancellationToken)
    {
        CollectFinishedSnapshot();
        if ((_awaitingSnapshot.Count == 0 && _snapshotInFlight == null) || cancellationToken.IsCancellationRequested)
            return await WaitToReadOrForgetAsync(reader, cancellationToken).ConfigureAwait(false);
        var wait = WaitToReadOrForgetAsync(reader, cancellationToken).AsTask();
        while (true)
        {
            if (_snapshotInFlight is { } inFlight)
            {
                if (await Task.WhenAny(wait, inFlight).ConfigureAwait(false) == wait || cancellationToken.IsCancellationRequested)
                    return await wait.ConfigureAwait(false);
                CollectFinishedSnapshot();
                if (_awaitingSnapshot.Count == 0) return await wait.ConfigureAwait(false);
                continue;
            }
            var due = _awaitingSnapshot.Count >= _options.MaxMessagesAwaitingSnapshot ? TimeSpan.Zero : UntilSnapshotDue();
            if (due > TimeSpan.Zero)
            {
                using var idle = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                var timer = Task.Delay(due, idle.Token);
                if (await Task.WhenAny(wait, timer).ConfigureAwait(false) == wait || cancellationToken.IsCancellationRequested)
                {
                    await idle.CancelAsync().ConfigureAwait(false);
                    return await wait.ConfigureAwait(false); // stopping: the stop path snapshots with its own time bound
                }
            }
            await StartSnapshotAsync(cancellationToken).ConfigureAwait(false);
            if (_snapshotInFlight == null) return await wait.ConfigureAwait(false); // not possible now (alerts of a failed write wait)
        }
    }

    private async Task AckAllAsync(List<NatsJSMsg> msgs, CancellationToken cancellationToken)
    {
        foreach (var msg in msgs) await AckAsync(msg, cancellationToken).ConfigureAwait(false);
    }

    private async Task AckAsync(NatsJSMsg msg, CancellationToken cancellationToken)
    {
        try
        {
            await msg.AckAsync(cancellationToken).ConfigureAwait(false);
            Stats.Acked(1);
        }
        catch (NatsException ex)
        {
            // The write is durable; an unacked message comes back after AckWait and is indexed idempotently.
            Log($"ack failed ({ex.Message}); the message will be redelivered and re-indexed idempotently");
        }
        _outstanding.TryRemove(msg, out _);
    }

    /// <summary>At stop: the snapshot in flight, then one of what was indexed since, and the acks, bounded in time (unacked = redelivered).</summary>
    private async Task SnapshotOnStopAsync()
    {
        if (_snapshotInFlight is { } inFlight)
        {
            try
            {
                await inFlight.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                Log("stopping: the state snapshot in flight did not finish within 30 s; the messages it covers will be redelivered");
                return;
            }
            CollectFinishedSnapshot();
        }
        if (_awaitingSnapshot.Count == 0) return;
        try
        {
            await SnapshotAndAckNowAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        if (_awaitingSnapshot.Count > 0)
        {
            string why = _carriedAlerts != null ? "alerts of a failed write are not indexed yet, so no snapshot was taken" : "the snapshot failed or the acks could not be sent within 5 s";
            Log($"stopping: {_awaitingSnapshot.Count} indexed messages left unacked ({why}); they will be redelivered and re-indexed idempotently");
        }
    }
}
