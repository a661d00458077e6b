using Microsoft.Win32.SafeHandles;
using Siem.Collectors.Sources.Internal;

namespace Siem.Collectors.Sources;

public sealed partial class FileTailSource
{
    private readonly HashSet<string> _failedPaths = new(StringComparer.Ordinal);
    private bool _scannedOnce;

    /// <summary>Expands the patterns: opens new files, notices files that left their path (rotation, deletion).</summary>
    private void Scan()
    {
        var seen = new HashSet<FileIdentity>();
        foreach (var path in _globs.Expand())
        {
            if (FileStat.Of(path) is not { } status || !seen.Add(status.Identity))
            {
                continue;
            }

            TrackedFile? known;
            lock (_files)
            {
                _byIdentity.TryGetValue(status.Identity, out known);
            }

            if (known is null)
            {
                known = Open(path, rotatedAway: false);
                if (known is not null)
                {
                    seen.Add(known.Identity);
                }

                continue;
            }

            known.Unmatched = false;
            if (!string.Equals(known.Path, path, StringComparison.Ordinal))
            {
                // Renamed to another matching name (app.log -> app.log.1 under "app.log*").
                MarkRotated(known);
                known.Path = path;
            }
        }

        foreach (var file in SnapshotInReadOrder())
        {
            if (!seen.Contains(file.Identity))
            {
                file.Unmatched = true;
                MarkRotated(file);
            }
        }

        if (!_scannedOnce)
        {
            _scannedOnce = true;

            // Checkpoint entries of files that exist nowhere we look any more (deleted while we were down).
            lock (_files)
            {
                _ledger!.ForgetAllExcept(_byIdentity.Keys);
            }
        }
    }

    /// <summary>
    /// Files rotated while the agent was down: the checkpoint names a path that now holds another file (or none).
    /// Look for the old identity in the same directory (logrotate renames within it) and finish reading it first.
    /// </summary>
    private void RecoverRotatedWhileDown(Dictionary<FileIdentity, FileCheckpoint>? checkpoint)
    {
        foreach (var entry in checkpoint?.Values ?? Enumerable.Empty<FileCheckpoint>())
        {
            if (FileStat.Of(entry.Path) is { } now && now.Identity == entry.Identity)
            {
                continue;
            }

            var directory = Path.GetDirectoryName(entry.Path);
            if (directory is null || !Directory.Exists(directory))
            {
                continue;
            }

            foreach (var candidate in Directory.EnumerateFiles(directory))
            {
                if (FileStat.Of(candidate) is { } status && status.Identity == entry.Identity)
                {
                    if (Open(candidate, rotatedAway: true) is not null)
                    {
                        Stats.AddRotation();
                    }

                    break;
                }
            }
        }
    }

    private TrackedFile? Open(string path, bool rotatedAway)
    {
        SafeFileHandle handle;
        FileStatus status;
        try
        {
            handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            status = FileStat.Of(handle);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            if (_failedPaths.Add(path))
            {
                Stats.AddError();
                LastError = $"opening '{path}': {e.Message}";
            }

            return null;
        }

        _failedPaths.Remove(path);
        lock (_files)
        {
            if (_byIdentity.ContainsKey(status.Identity))
            {
                handle.Dispose();
                return null;
            }
        }

        long offset = 0;
        if (_ledger!.TryGetCommitted(status.Identity, out var committed))
        {
            offset = committed.Offset;
            if (status.Size < offset)
            {
                // Truncated while we were not looking.
                Stats.AddTruncation();
                offset = 0;
            }
        }
        else if (_firstStart && !_scannedOnce && _options.StartAtEnd)
        {
            offset = status.Size;
        }

        var file = new TrackedFile(status.Identity, path, handle, offset, _options.MaxLineBytes, _time.GetTimestamp())
        {
            Rotated = rotatedAway,
        };
        lock (_files)
        {
            foreach (var other in _files)
            {
                if (string.Equals(other.Path, path, StringComparison.Ordinal))
                {
                    MarkRotated(other);
                }
            }

            _files.Add(file);
            _byIdentity.Add(file.Identity, file);
        }

        return file;
    }

    private void MarkRotated(TrackedFile file)
    {
        if (!file.Rotated)
        {
            file.Rotated = true;
            Stats.AddRotation();
        }
    }

    private void StartWatchers()
    {
        // Events only make us look sooner; the periodic scan and poll are what we rely on (inotify can overflow,
        // directories can appear later, network filesystems send nothing).
        foreach (var (root, recursive) in _globs.Roots)
        {
            if (!Directory.Exists(root))
            {
                continue;
            }

            try
            {
                var watcher = new FileSystemWatcher(root)
                {
                    IncludeSubdirectories = recursive,
                    NotifyFilter = NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.LastWrite | NotifyFilters.Size,
                };
                watcher.Created += (_, _) => RequestScan();
                watcher.Deleted += (_, _) => RequestScan();
                watcher.Renamed += (_, _) => RequestScan();
                watcher.Changed += (_, _) => _wake.TrySetResult();
                watcher.EnableRaisingEvents = true;
                _watchers.Add(watcher);
            }
            catch (Exception e) when (e is IOException or ArgumentException or PlatformNotSupportedException)
            {
                LastError = $"watching '{root}' (polling only): {e.Message}";
            }
        }
    }

    private void RequestScan()
    {
        _scanRequested = true;
        _wake.TrySetResult();
    }
}
