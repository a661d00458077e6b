using System.Collections.Concurrent;
using Siem.Engine.Purge;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Purges reaching a running engine: the open correlation windows (<c>CorrelationEngine.Forget</c>) and open
/// (suppressed) alerts (<see cref="Alerts.AlertSuppressor.Forget"/>) forget the subject's records and the alerts the
/// purge deleted or redacted, in place, on the processing thread between two groups (the detector and
/// the suppressor are not shared with other threads), and the state snapshot is written at once, so the files under
/// the state dir stop holding the subject without waiting for the next periodic snapshot.
/// </summary>
public sealed partial class EventPipeline
{
    private readonly ConcurrentQueue<(SubjectForgetting Forget, TaskCompletionSource<int> Done)> _forgets = new();
    private TaskCompletionSource _forgetRequested = NewForgetSignal();

    /// <summary>Purge notices applied by this engine.</summary>
    public long ForgetsApplied => Interlocked.Read(ref _forgetsApplied);
    private long _forgetsApplied;

    /// <summary>
    /// Queues a purge for the processing thread; the task completes with the number of matches and open alerts removed,
    /// after the state without them was saved (or at once with 0 when the engine holds no such state).
    /// </summary>
    public Task<int> ForgetAsync(SubjectForgetting forget)
    {
        ArgumentNullException.ThrowIfNull(forget);
        var done = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _forgets.Enqueue((forget, done));
        Volatile.Read(ref _forgetRequested).TrySetResult();
        return done.Task;
    }

    private static TaskCompletionSource NewForgetSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Like <c>reader.WaitToReadAsync</c>, but also returns (true) when a purge waits to be applied.</summary>
    private async ValueTask<bool> WaitToReadOrForgetAsync(System.Threading.Channels.ChannelReader<OpenedMessage> reader, CancellationToken cancellationToken)
    {
        if (!_forgets.IsEmpty) return true;
        var read = reader.WaitToReadAsync(cancellationToken);
        if (read.IsCompleted) return await read.ConfigureAwait(false);
        var readTask = read.AsTask();
        var forget = Volatile.Read(ref _forgetRequested).Task;
        if (await Task.WhenAny(readTask, forget).ConfigureAwait(false) == readTask) return await readTask.ConfigureAwait(false);
        return true;
    }

    private async Task ApplyForgetsAsync(CancellationToken cancellationToken)
    {
        // The signal is re-armed before the queue is looked at: a purge queued meanwhile is either seen now or wakes the next wait.
        if (_forgetRequested.Task.IsCompleted) Volatile.Write(ref _forgetRequested, NewForgetSignal());
        if (_forgets.IsEmpty) return;
        var done = new List<(TaskCompletionSource<int> Done, int Removed)>();
        while (_forgets.TryDequeue(out var item)) done.Add((item.Done, Forget(item.Forget)));
        if (done.Exists(d => d.Removed > 0) && _state != null)
        {
            // A snapshot in flight was captured before the purge: it finishes first, then one without the subject is written.
            if (_snapshotInFlight is { } older) await older.ConfigureAwait(false);
            await StartSnapshotAsync(cancellationToken).ConfigureAwait(false);
            if (_snapshotInFlight is { } clean) await clean.ConfigureAwait(false);
            CollectFinishedSnapshot();
        }
        foreach (var (tcs, removed) in done)
        {
            Interlocked.Increment(ref _forgetsApplied);
            tcs.TrySetResult(removed);
        }
    }

    private int Forget(SubjectForgetting forget)
    {
        // In place, without a snapshot and restore of the whole state: the cost follows the open windows, not their size on disk.
        int removed = _detector.Forget(forget.RecordIds, forget.ExactValues) + _suppressor.Forget(forget.RecordIds, forget.AlertIds) + ForgetPendingUpdates(forget);
        if (removed > 0) Log($"purge {forget.JobId}: forgot {removed} correlation matches, windows and open alerts of the subject");
        return removed;
    }
}
