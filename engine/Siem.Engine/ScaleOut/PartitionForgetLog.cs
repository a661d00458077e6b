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

    public int Count
    {
        get { lock (_gate) return _purges.Count; }
    }

    public void Add(SubjectForgetting forget)
    {
        ArgumentNullException.ThrowIfNull(forget);
        lock (_gate)
        {
            _purges.Add(forget);
            _records.UnionWith(forget.RecordIds);
        }
    }

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
