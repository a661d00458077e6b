namespace Siem.Collectors.Sources.Internal;

/// <summary>
/// Remembers what was yielded and not yet committed, as runs of consecutive lines of one file, so that
/// committing one line also commits every line yielded before it — from any file — as the contract says
/// ("lines up to and including this one"). One entry per run, so memory follows the number of uncommitted
/// file switches; delivery commits after every acknowledged batch, which keeps it small.
/// </summary>
internal sealed class CommitLedger
{
    private readonly LinkedList<Run> _runs = new();
    private readonly Dictionary<FileIdentity, FileCheckpoint> _committed;
    private readonly Dictionary<FileIdentity, long> _finished = new();
    private readonly Lock _lock = new();

    public CommitLedger(Dictionary<FileIdentity, FileCheckpoint> committed) => _committed = committed;

    /// <summary>Record a yielded line.</summary>
    public void Yielded(FileIdentity identity, string path, long offset, long nextOffset)
    {
        lock (_lock)
        {
            var last = _runs.Last?.Value;
            if (last is not null && last.Identity == identity && last.Last == offset)
            {
                last.Last = nextOffset;
                last.Path = path;
                return;
            }

            _runs.AddLast(new Run(identity, path, offset, nextOffset));
        }
    }

    /// <summary>A file was closed at <paramref name="finalOffset"/>; forget it once everything up to there is committed.</summary>
    public void Finished(FileIdentity identity, long finalOffset)
    {
        lock (_lock)
        {
            _finished[identity] = finalOffset;
            DropFinished();
        }
    }

    /// <summary>Forget checkpoint entries of every file except these (the ones still found after a restart).</summary>
    public void ForgetAllExcept(IEnumerable<FileIdentity> keep)
    {
        lock (_lock)
        {
            var keepSet = keep.ToHashSet();
            foreach (var identity in _committed.Keys.ToArray())
            {
                if (!keepSet.Contains(identity))
                {
                    _committed.Remove(identity);
                }
            }
        }
    }

    /// <summary>Committed offset per source key (what is persisted), including files restored from the checkpoint at start.</summary>
    public Dictionary<string, long> CommittedOffsets()
    {
        lock (_lock)
        {
            return _committed.ToDictionary(e => e.Key.SourceKey, e => e.Value.Offset, StringComparer.Ordinal);
        }
    }

    public bool TryGetCommitted(FileIdentity identity, out FileCheckpoint checkpoint)
    {
        lock (_lock)
        {
            return _committed.TryGetValue(identity, out checkpoint);
        }
    }

    /// <summary>
    /// Advance the committed offsets up to and including the given line. Returns the checkpoint to persist, or null when
    /// the line is unknown (already committed, or not from this source): committing is idempotent.
    /// </summary>
    public FileCheckpoint[]? Commit(FileIdentity identity, long offset, long nextOffset)
    {
        lock (_lock)
        {
            var found = false;
            for (var node = _runs.First; node is not null; node = node.Next)
            {
                var run = node.Value;
                if (run.Identity == identity && run.First <= offset && nextOffset <= run.Last)
                {
                    found = true;
                    break;
                }
            }

            if (!found)
            {
                return null;
            }

            while (_runs.First is { } node)
            {
                var run = node.Value;
                if (run.Identity == identity && run.First <= offset && nextOffset <= run.Last)
                {
                    _committed[identity] = new FileCheckpoint(identity, run.Path, nextOffset);
                    run.First = nextOffset;
                    if (run.First >= run.Last)
                    {
                        _runs.RemoveFirst();
                    }

                    break;
                }

                _committed[run.Identity] = new FileCheckpoint(run.Identity, run.Path, run.Last);
                _runs.RemoveFirst();
            }

            DropFinished();
            return [.. _committed.Values];
        }
    }

    private void DropFinished()
    {
        foreach (var identity in _finished.Keys.ToArray())
        {
            var pending = false;
            foreach (var run in _runs)
            {
                pending |= run.Identity == identity;
            }

            // Nothing of it awaits a commit, so its checkpoint can only point at its end: drop it.
            if (!pending)
            {
                _committed.Remove(identity);
                _finished.Remove(identity);
            }
        }
    }

    private sealed class Run(FileIdentity identity, string path, long first, long last)
    {
        public FileIdentity Identity { get; } = identity;

        public string Path { get; set; } = path;

        public long First { get; set; } = first;

        public long Last { get; set; } = last;
    }
}
