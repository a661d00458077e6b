using Siem.Core.Security;

namespace Siem.Engine.Control;

/// <summary>
/// The engine's keys as they are on disk, followed while the engine runs: <c>siem keys rotate|retire</c> (a separate
/// process, possibly on a stopped broker) and agent identity rotations answered by another engine change files in the
/// shared data dir, so the files are the source of truth and a cheap check every <c>interval</c> (a stat of the key
/// files and of the registry) picks them up — no restart. <see cref="Changed"/> hands the new ring to the opener.
/// </summary>
public sealed class LiveEngineKeys(string dataDir, EngineKeyRing initial, AgentRegistry registry, Action<string>? log = null)
{
    private readonly object _gate = new();
    private EngineKeyRing _ring = initial ?? throw new ArgumentNullException(nameof(initial));
    private string _fingerprint = EngineKeyRing.Fingerprint(dataDir);

    public EngineKeyRing Ring => Volatile.Read(ref _ring);

    /// <summary>Raised (on the checking thread) with the ring after a rotation or retirement.</summary>
    public event Action<EngineKeyRing>? Changed;

    /// <summary>One check; true when the engine keys changed. A ring that does not load (a half-written rotation) keeps
    /// the old one until the next check. Called by the timer and by the opener when a batch names a key it does not hold
    /// (another engine may have announced a rotation this one has not seen yet).</summary>
    public bool Refresh()
    {
        lock (_gate) return RefreshLocked();
    }

    private bool RefreshLocked()
    {
        registry.Refresh();
        var now = EngineKeyRing.Fingerprint(dataDir);
        if (now == _fingerprint) return false;
        EngineKeyRing next;
        try
        {
            next = EngineKeyRing.Open(dataDir, out _);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            log?.Invoke($"engine keys changed on disk but do not load yet ({ex.Message}); keeping {Ring.Current.KeyId}");
            return false;
        }
        var before = Ring;
        // The opener first, then the ring the key responder announces: no agent hears of a key this engine cannot open yet.
        Changed?.Invoke(next);
        Volatile.Write(ref _ring, next);
        _fingerprint = now;
        var retired = before.ById.Keys.Except(next.ById.Keys).ToList();
        log?.Invoke($"engine keys changed: {next.Current.KeyId} is current{(next.Current.KeyId != before.Current.KeyId ? $" (was {before.Current.KeyId})" : "")}"
            + $"{(next.Previous.Count > 0 ? $"; still accepted: {string.Join(", ", next.Previous.Select(k => k.KeyId))}" : "")}"
            + $"{(retired.Count > 0 ? $"; retired: {string.Join(", ", retired)} (batches sealed to it are quarantined)" : "")}");
        return true;
    }

    /// <summary>Checks every <paramref name="interval"/> until cancelled.</summary>
    public async Task RunAsync(TimeSpan interval, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false)) Refresh();
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
