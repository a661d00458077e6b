using System.Diagnostics;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Keeps the detector's open correlation windows and the open suppressed alerts across restarts, in
/// <c>correlation.json</c> and <c>suppression.json</c> under the state dir (mode 0600: they hold event fields).
/// The pipeline saves every <see cref="EngineOptions.StateSnapshotInterval"/> and acks the messages indexed before a
/// save only after it, so a crash either loses unacked groups (redelivered, reprocessed from the previous state) or
/// replays saved ones whose acks were lost (both the correlation engine and the suppressor ignore record ids they
/// have already seen). Each file is replaced atomically
/// (temp file + rename, so a kill never leaves a torn snapshot); the data is fsynced at most every
/// <c>fsyncInterval</c> — a power loss can cost that much state, a process crash none.
/// A snapshot that cannot be read is moved aside (<c>*.unreadable-*</c>) and logged; the engine starts empty rather than not at all.
/// </summary>
public sealed class EngineStateStore
{
    private readonly string _dir;
    private readonly TimeSpan _fsyncInterval;
    private readonly Action<string> _log;
    private readonly Stopwatch _sinceFsync = Stopwatch.StartNew();
    private readonly object _writeGate = new();
    private long _writtenSuppressorVersion = -1;
    private long _captures;
    private long _written;

    public EngineStateStore(string dir, TimeSpan fsyncInterval, Action<string>? log = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(dir);
        _dir = dir;
        _fsyncInterval = fsyncInterval;
        _log = log ?? (_ => { });
        Directory.CreateDirectory(dir);
    }

    public string CorrelationPath => Path.Combine(_dir, "correlation.json");
    public string SuppressionPath => Path.Combine(_dir, "suppression.json");
    public long Saves { get; private set; }
    /// <summary>Bytes the last <see cref="Write"/> wrote (0 when nothing had changed).</summary>
    public long LastSaveBytes { get; private set; }

    public void Restore(IDetector detector, AlertSuppressor suppressor)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(suppressor);
        if (Read(CorrelationPath) is { } correlation) Apply(CorrelationPath, () => detector.RestoreState(correlation));
        if (Read(SuppressionPath) is { } suppression) Apply(SuppressionPath, () => suppressor.Restore(suppression));
        _writtenSuppressorVersion = suppressor.Version;
        if (File.Exists(CorrelationPath) || File.Exists(SuppressionPath))
            _log($"restored detection state from {_dir}: {suppressor.OpenCount} open alerts");
    }

    /// <summary>Writes what changed; cheap when nothing did (no correlation rules, no new or folded alert).</summary>
    public void Save(IDetector detector, AlertSuppressor suppressor) => Write(Capture(detector, suppressor));

    /// <summary>
    /// The state as of now, for <see cref="Write"/> (on the caller's thread: it must not run concurrently with detection).
    /// Copies only lists of references, so the processing loop goes on while another thread serialises and writes.
    /// </summary>
    public StateCapture Capture(IDetector detector, AlertSuppressor suppressor)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(suppressor);
        var correlation = detector.CaptureState();
        // Compared with what is on disk, not with the last capture: a capture that fails or is skipped must not lose alerts.
        var suppression = suppressor.Version != Volatile.Read(ref _writtenSuppressorVersion) ? suppressor.Capture() : null;
        return new StateCapture(Interlocked.Increment(ref _captures), correlation, suppression, suppressor.Version);
    }

    /// <summary>
    /// Serialises and writes a capture (any thread; one write at a time). A capture older than one already written is
    /// skipped: the newer files include everything it held.
    /// </summary>
    public void Write(StateCapture capture)
    {
        ArgumentNullException.ThrowIfNull(capture);
        lock (_writeGate)
        {
            if (capture.Sequence <= _written)
            {
                LastSaveBytes = 0;
                return;
            }
            bool fsync = _sinceFsync.Elapsed >= _fsyncInterval;
            long bytes = 0;
            if (capture.Correlation is { } correlation) bytes += Write(CorrelationPath, correlation, fsync);
            if (capture.Suppression is { } suppression) bytes += Write(SuppressionPath, suppression, fsync);
            _written = capture.Sequence;
            if (capture.Suppression != null) Volatile.Write(ref _writtenSuppressorVersion, capture.SuppressorVersion);
            LastSaveBytes = bytes;
            if (fsync) _sinceFsync.Restart();
            Saves++;
        }
    }

    private static byte[]? Read(string path) => File.Exists(path) ? File.ReadAllBytes(path) : null;

    private void Apply(string path, Action restore)
    {
        try
        {
            restore();
        }
        catch (InvalidDataException ex)
        {
            var aside = $"{path}.unreadable-{DateTime.UtcNow:yyyyMMddTHHmmssZ}";
            File.Move(path, aside, overwrite: true);
            _log($"state snapshot {path} could not be restored ({ex.Message}); moved to {aside}, continuing without it");
        }
    }

    /// <summary>Streams the content into a temp file and renames it over the old one (fsynced, with the rename, when asked).</summary>
    private static long Write(string path, Action<Stream> content, bool fsync)
    {
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None, BufferSize = 1 << 16 };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecureFile.OwnerOnly;
        long length;
        using (var fs = new FileStream(tmp, options))
        {
            content(fs);
            fs.Flush(flushToDisk: fsync);
            length = fs.Length;
        }
        File.Move(tmp, path, overwrite: true);
        if (fsync) SecureFile.FsyncDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        return length;
    }
}
