using Siem.Engine.Purge;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// The purges this engine learned of while it runs, for its partition workers: each worker applies the ones it has not
/// applied yet between two batches (and all of them after restoring a snapshot, which may predate a purge), and skips
/// contributions of purged records still on their way. Append-only; a purge's ids stay until the process ends.
/// </summary>
internal sealed class PartitionForgetLog
{
    private readonly object _gate = new();
    private readonly List<SubjectForgetting> _purges = [];
    private readonly HashSet<string> _records = new(StringComparer.Ordinal);
    private TaskCompletionSource _progress = NewProgress();

    public int Count
    {
        get { lock (_gate) return _purges.Count; }
    }

    /// <summary>Adds a purge; returns how many purges the log holds with it (what a worker must have applied).</summary>
    public int Add(SubjectForgetting forget)
    {
        ArgumentNullException.ThrowIfNull(forget);
        lock (_gate)
        {
            _purges.Add(forget);
            _records.UnionWith(forget.RecordIds);
            return _purges.Count;
        }
    }

    /// <summary>Completes when a worker next reports progress (take it before looking at the workers, so no report is missed).</summary>
    public Task NextProgress
    {
        get { lock (_gate) return _progress.Task; }
    }

    /// <summary>A worker applied and saved more purges.</summary>
    public void Progressed()
    {
        TaskCompletionSource done;
        lock (_gate)
        {
            done = _progress;
            _progress = NewProgress();
        }
        done.TrySetResult();
    }

    private static TaskCompletionSource NewProgress() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The purges from index <paramref name="from"/> on.</summary>
    public List<SubjectForgetting> Since(int from)
    {
        lock (_gate) return _purges.Skip(from).ToList();
    }

    /// <summary>Whether any of the records was purged (a contribution for it must not be counted again).</summary>
    public bool AnyPurged(IReadOnlyList<string> recordIds)
    {
        lock (_gate)
        {
            if (_records.Count == 0) return false;
            foreach (var id in recordIds)
            {
                if (_records.Contains(id)) return true;
            }
            return false;
        }
    }
}
