using System.Diagnostics;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// State snapshots off the processing loop: the loop captures the state (a copy of lists of references, milliseconds)
/// together with the messages indexed so far, and a background task serialises and writes it, then acks exactly those
/// messages. The loop goes on detecting and indexing meanwhile; one snapshot is in flight at a time, and its outcome is
/// collected on the loop (a failed write puts its messages back to wait for the next snapshot). Serialising tens of
/// megabytes of open windows on the loop had stalled it for over a second, which was most of the alert latency.
/// </summary>
public sealed partial class EventPipeline
{
    private Task<SnapshotOutcome>? _snapshotInFlight;

    /// <summary>What a background snapshot did: the messages it did not ack (all of them when the write failed).</summary>
    private sealed record SnapshotOutcome(List<NatsJSMsg> Unacked, Exception? Failure, TimeSpan Took, long Bytes);

    /// <summary>
    /// Captures the state and starts writing it. Skipped while a snapshot is in flight (its end is waited for) or while
    /// alerts of a failed group wait to be indexed (the state already counts their records: a crash after such a
    /// snapshot would lose those alerts); the next successful group writes them and snapshots.
    /// </summary>
    private async Task StartSnapshotAsync(CancellationToken cancellationToken)
    {
        CollectFinishedSnapshot();
        if (_state == null || _carriedAlerts != null || _snapshotInFlight != null) return;
        if (!await TryFlushAlertUpdatesAsync(cancellationToken).ConfigureAwait(false) || !TryFlushSequences()) return;
        StateCapture capture;
        using (Stats.Cpu.Measure(PipelineStage.SnapshotCapture)) capture = _state.Capture(_detector, _suppressor);
        var covered = new List<NatsJSMsg>(_awaitingSnapshot);
        _awaitingSnapshot.Clear();
        Volatile.Write(ref _awaitingCount, 0);
        _lastSnapshotAt = Stopwatch.GetTimestamp();
        var state = _state;
        _snapshotInFlight = Task.Run(() => WriteAndAckAsync(state, capture, covered, cancellationToken), CancellationToken.None);
    }

    private async Task<SnapshotOutcome> WriteAndAckAsync(EngineStateStore state, StateCapture capture, List<NatsJSMsg> covered, CancellationToken cancellationToken)
    {
        long started = Stopwatch.GetTimestamp();
        long bytes;
        try
        {
            using (Stats.Cpu.Measure(PipelineStage.SnapshotWrite)) state.Write(capture);
            bytes = state.LastSaveBytes;
        }
        catch (Exception ex)
        {
            // Reported on the processing loop; the messages wait for the next snapshot.
            return new SnapshotOutcome(covered, ex, Stopwatch.GetElapsedTime(started), 0);
        }
        var took = Stopwatch.GetElapsedTime(started);
        for (int i = 0; i < covered.Count; i++)
        {
            try
            {
                await AckAsync(covered[i], cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Covered by the snapshot but not acked yet: the stop path acks them (or they are redelivered and ignored).
                return new SnapshotOutcome(covered.GetRange(i, covered.Count - i), null, took, bytes);
            }
        }
        return new SnapshotOutcome([], null, took, bytes);
    }

    /// <summary>On the processing loop: takes in the outcome of a finished background snapshot.</summary>
    private void CollectFinishedSnapshot()
    {
        if (_snapshotInFlight is not { IsCompleted: true } done) return;
        _snapshotInFlight = null;
        var outcome = done.Result;
        if (outcome.Unacked.Count > 0)
        {
            _awaitingSnapshot.InsertRange(0, outcome.Unacked);
            Volatile.Write(ref _awaitingCount, _awaitingSnapshot.Count);
        }
        if (outcome.Failure is { } failure)
        {
            Interlocked.Increment(ref _snapshotErrors);
            Log($"state snapshot failed, {_awaitingSnapshot.Count} indexed messages stay unacked until the next one: {failure.GetType().Name}: {failure.Message}");
            return;
        }
        _lastSnapshotTook = outcome.Took;
        if (outcome.Took > SlowSnapshot) Log($"state snapshot took {outcome.Took.TotalMilliseconds:0} ms in the background ({outcome.Bytes / 1024} KiB, {_suppressor.OpenCount} open alerts); the next one is due in {UntilSnapshotDue().TotalSeconds:0.0} s");
    }

    /// <summary>At stop (nothing in flight): writes the snapshot on this thread, then acks every message it covers.</summary>
    /// <param name="ackTimeout">Bounds the acks, counted from the end of the snapshot (which cannot be interrupted).</param>
    private async Task SnapshotAndAckNowAsync(TimeSpan ackTimeout)
    {
        if (_state == null || _carriedAlerts != null || !await TryFlushAlertUpdatesAsync(CancellationToken.None).ConfigureAwait(false) || !TryFlushSequences()) return;
        try
        {
            _state.Save(_detector, _suppressor);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            Interlocked.Increment(ref _snapshotErrors);
            Log($"state snapshot failed, {_awaitingSnapshot.Count} indexed messages stay unacked until the next one: {ex.Message}");
            return;
        }
        _lastSnapshotAt = Stopwatch.GetTimestamp();
        if (_awaitingSnapshot.Count == 0) return;
        var covered = _awaitingSnapshot.ToList();
        _awaitingSnapshot.Clear();
        Volatile.Write(ref _awaitingCount, 0);
        using var ackBound = new CancellationTokenSource(ackTimeout);
        for (int i = 0; i < covered.Count; i++)
        {
            try
            {
                await AckAsync(covered[i], ackBound.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _awaitingSnapshot.AddRange(covered.Skip(i));
                Volatile.Write(ref _awaitingCount, _awaitingSnapshot.Count);
                throw;
            }
        }
    }

    /// <summary>Persists the batch sequences of every message a snapshot is about to cover (they must be on disk before the acks).</summary>
    private bool TryFlushSequences()
    {
        try
        {
            using (Stats.Cpu.Measure(PipelineStage.Sequences)) _sequences.Flush();
            return true;
        }
        catch (Microsoft.Data.Sqlite.SqliteException ex)
        {
            Interlocked.Increment(ref _snapshotErrors);
            Log($"batch sequences could not be saved, {_awaitingSnapshot.Count} indexed messages stay unacked until the next snapshot: {ex.Message}");
            return false;
        }
    }
}
