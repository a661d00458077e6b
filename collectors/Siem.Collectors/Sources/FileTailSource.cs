using System.Runtime.CompilerServices;
using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

/// <summary>
/// Follows files matching glob patterns, like <c>tail -F</c> with a checkpoint. Files are tracked by identity
/// (device + inode), so a logrotate rename is followed to the end of the old file before the new one is read,
/// copytruncate/truncation restarts at 0 (counted), and after a restart each file resumes just after the last
/// committed line, even if it was rotated to another name meanwhile (found by identity in its old directory).
/// Linux only (statx).
/// </summary>
public sealed partial class FileTailSource : ILogSource
{
    private readonly FileTailOptions _options;
    private readonly GlobSet _globs;
    private readonly TimeProvider _time;
    private readonly List<TrackedFile> _files = [];
    private readonly Dictionary<FileIdentity, TrackedFile> _byIdentity = [];
    private readonly SemaphoreSlim _commitGate = new(1, 1);
    private readonly List<FileSystemWatcher> _watchers = [];
    private CommitLedger? _ledger;
    private bool _firstStart;
    private int _reading;
    private volatile bool _disposed;
    private volatile bool _scanRequested = true;
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public FileTailSource(FileTailOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.MaxLineBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(options.ReadBufferBytes, 1);
        _options = options;
        _globs = new GlobSet(options.Paths, options.Exclude);
        _time = options.TimeProvider;
        Name = "file:" + string.Join(',', options.Paths);
        Stats = new SourceStats(Name);
    }

    public string Name { get; }

    public SourceStats Stats { get; }

    /// <summary>Paths of the files currently open (for status output and tests).</summary>
    public IReadOnlyList<string> OpenFiles
    {
        get
        {
            lock (_files)
            {
                return [.. _files.Select(f => f.Path)];
            }
        }
    }

    /// <summary>
    /// Committed offset per file (source key), also for files whose checkpoint was restored at start and that had
    /// nothing new to ship: status must show them caught up after a restart, not absent. Empty before reading starts.
    /// </summary>
    public IReadOnlyDictionary<string, long> CommittedCheckpoints() =>
        _ledger?.CommittedOffsets() ?? new Dictionary<string, long>(StringComparer.Ordinal);

    public async IAsyncEnumerable<RawLine> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _reading, 1) != 0)
        {
            throw new InvalidOperationException($"{Name}: ReadAsync can be enumerated only once per source instance.");
        }

        var checkpoint = FileCheckpointStore.Load(_options.CheckpointPath);
        _firstStart = checkpoint is null;
        _ledger = new CommitLedger(checkpoint ?? []);
        RecoverRotatedWhileDown(checkpoint);
        StartWatchers();

        var lines = new List<SplitLine>();
        var buffer = new byte[_options.ReadBufferBytes];
        var nextScan = _time.GetTimestamp();
        while (!_disposed)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_scanRequested || _time.GetTimestamp() >= nextScan)
            {
                _scanRequested = false;
                Scan();
                nextScan = _time.GetTimestamp() + (long)(_options.ScanInterval.TotalSeconds * _time.TimestampFrequency);
            }

            var progressed = false;
            foreach (var file in SnapshotInReadOrder())
            {
                // A rotated file is read to its end before its successor gets a turn, so lines keep their order.
                int read;
                do
                {
                    read = await ReadChunkAsync(file, buffer, lines, cancellationToken).ConfigureAwait(false);
                    progressed |= read > 0 || lines.Count > 0;
                    foreach (var line in lines)
                    {
                        yield return Emit(file, line);
                    }

                    lines.Clear();
                }
                while (read > 0 && file.Rotated);

                if (read < 0)
                {
                    Close(file);
                }
                else if (read == 0 && file.Unmatched && IdleFor(file) >= _options.RotatedFileGrace)
                {
                    // Nothing will complete its last unterminated line any more: ship it, then let the file go.
                    file.Splitter.FlushPending(lines);
                    foreach (var line in lines)
                    {
                        yield return Emit(file, line);
                    }

                    lines.Clear();
                    Close(file);
                }
            }

            if (!progressed)
            {
                await WaitForChangeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public async ValueTask CommitAsync(RawLine upTo, CancellationToken cancellationToken = default)
    {
        var ledger = _ledger ?? throw new InvalidOperationException($"{Name}: CommitAsync before ReadAsync.");
        if (!upTo.SourceKey.StartsWith("file:", StringComparison.Ordinal)
            || !FileIdentity.TryParse(upTo.SourceKey["file:".Length..], out var identity))
        {
            throw new ArgumentException($"{Name}: cannot commit a line of another source ('{upTo.SourceKey}').", nameof(upTo));
        }

        await _commitGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var entries = ledger.Commit(identity, upTo.Offset, upTo.NextOffset);
            if (entries is not null)
            {
                var directory = Path.GetDirectoryName(Path.GetFullPath(_options.CheckpointPath));
                if (directory is not null)
                {
                    Directory.CreateDirectory(directory);
                }

                await AtomicFile.WriteAsync(_options.CheckpointPath, FileCheckpointStore.Serialize(entries), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            _commitGate.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        _disposed = true; // a reader still running ends its enumeration
        _wake.TrySetResult();
        foreach (var watcher in _watchers)
        {
            watcher.Dispose();
        }

        _watchers.Clear();
        lock (_files)
        {
            foreach (var file in _files)
            {
                file.Dispose();
            }

            _files.Clear();
            _byIdentity.Clear();
        }

        _commitGate.Dispose();
        return ValueTask.CompletedTask;
    }

    private RawLine Emit(TrackedFile file, SplitLine line)
    {
        _ledger!.Yielded(file.Identity, file.Path, line.Offset, line.NextOffset);
        Stats.AddLine(line.ByteCount, line.Truncated, line.InvalidUtf8);
        return new RawLine("file", file.SourceKey, line.Offset, line.NextOffset, line.Text, Path: file.Path)
        {
            Truncated = line.Truncated,
            InvalidUtf8 = line.InvalidUtf8,
        };
    }

    private TrackedFile[] SnapshotInReadOrder()
    {
        lock (_files)
        {
            return [.. _files.Where(f => f.Rotated), .. _files.Where(f => !f.Rotated)];
        }
    }

    private TimeSpan IdleFor(TrackedFile file) => _time.GetElapsedTime(file.LastGrowth);

    private void Close(TrackedFile file)
    {
        lock (_files)
        {
            _files.Remove(file);
            _byIdentity.Remove(file.Identity);
        }

        _ledger!.Finished(file.Identity, file.Splitter.LineStart);
        file.Dispose();
    }

    private async Task WaitForChangeAsync(CancellationToken cancellationToken)
    {
        var wake = _wake.Task;
        await Task.WhenAny(wake, Task.Delay(_options.PollInterval, _time, cancellationToken)).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (wake.IsCompleted)
        {
            _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }
}
