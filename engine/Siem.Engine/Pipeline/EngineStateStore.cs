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
    private long _savedSuppressorVersion = -1;

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
    /// <summary>Bytes the last <see cref="Save"/> wrote (0 when nothing had changed).</summary>
    public long LastSaveBytes { get; private set; }

    public void Restore(IDetector detector, AlertSuppressor suppressor)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(suppressor);
        if (Read(CorrelationPath) is { } correlation) Apply(CorrelationPath, () => detector.RestoreState(correlation));
        if (Read(SuppressionPath) is { } suppression) Apply(SuppressionPath, () => suppressor.Restore(suppression));
        _savedSuppressorVersion = suppressor.Version;
        if (File.Exists(CorrelationPath) || File.Exists(SuppressionPath))
            _log($"restored detection state from {_dir}: {suppressor.OpenCount} open alerts");
    }

    /// <summary>Writes what changed; cheap when nothing did (no correlation rules, no new or folded alert).</summary>
    public void Save(IDetector detector, AlertSuppressor suppressor)
    {
        ArgumentNullException.ThrowIfNull(detector);
        ArgumentNullException.ThrowIfNull(suppressor);
        bool fsync = _sinceFsync.Elapsed >= _fsyncInterval;
        long bytes = 0;
        if (detector.SaveState() is { } correlation)
        {
            Write(CorrelationPath, correlation, fsync);
            bytes += correlation.Length;
        }
        if (suppressor.Version != _savedSuppressorVersion)
        {
            var suppression = suppressor.Snapshot();
            Write(SuppressionPath, suppression, fsync);
            bytes += suppression.Length;
            _savedSuppressorVersion = suppressor.Version;
        }
        LastSaveBytes = bytes;
        if (fsync) _sinceFsync.Restart();
        Saves++;
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

    private static void Write(string path, byte[] content, bool fsync)
    {
        if (fsync)
        {
            SecureFile.WriteAllBytes(path, content);
            return;
        }
        var tmp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows()) options.UnixCreateMode = SecureFile.OwnerOnly;
        using (var fs = new FileStream(tmp, options)) fs.Write(content);
        File.Move(tmp, path, overwrite: true);
    }
}
