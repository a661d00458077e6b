using Siem.Core.Security;

namespace Siem.Engine.Keys;

/// <summary>Taking up what other engines announced.</summary>
public sealed partial class EngineKeyDistribution
{
    /// <summary>
    /// Brings this data dir's ring in line with the announcements seen: keys it can unwrap are added (repeated, so a
    /// chain of rotations this engine missed is walked key by key), then keys retired elsewhere are retired here. The
    /// running engine loads the result at once.
    /// </summary>
    private void Apply()
    {
        bool changed = false;
        lock (_filesGate)
        {
            var ring = EngineKeyRing.Open(_dataDir, out _);
            var retiredHere = ring.Retired;
            for (bool progress = true; progress;)
            {
                progress = false;
                foreach (var announcement in _seen.Values.Where(a => !a.Retired && !ring.ById.ContainsKey(a.KeyId) && !retiredHere.Contains(a.KeyId)))
                {
                    if (announcement.Unwrap(ring) is not { } key) continue;
                    var before = ring.Current.KeyId;
                    ring = ring.Import(key);
                    progress = changed = true;
                    Interlocked.Increment(ref _imported);
                    _log($"engine key {key.KeyId} taken up from another engine ({Bucket}): " + (ring.Current.KeyId == key.KeyId ? $"now current (was {before}); agents are told at their next key check" : "accepted as an earlier key"));
                }
            }
            foreach (var announcement in _seen.Values.Where(a => !a.Retired && !ring.ById.ContainsKey(a.KeyId) && !retiredHere.Contains(a.KeyId)))
            {
                ReportOnce($"unwrap:{announcement.KeyId}:{string.Join(',', announcement.Wrapped?.Keys ?? [])}",
                    $"engine key {announcement.KeyId} announced by another engine cannot be taken up here: it is wrapped only under {string.Join(", ", announcement.Wrapped?.Keys ?? [])}, "
                    + $"none of which this engine holds (or the wrap is not genuine); batches sealed to it are quarantined here. Copy an engine key file the engines share into {Path.Combine(_dataDir, "engine", "engine-keys")}/");
            }
            foreach (var announcement in _seen.Values.Where(a => a.Retired))
            {
                if (ring.Previous.Any(k => k.KeyId == announcement.KeyId))
                {
                    ring = ring.Retire(announcement.KeyId);
                    changed = true;
                    Interlocked.Increment(ref _retired);
                    _log($"engine key {announcement.KeyId} retired by another engine ({Bucket}); retired here too: batches sealed to it are quarantined");
                }
                else if (ring.Current.KeyId == announcement.KeyId)
                {
                    ReportOnce($"current:{announcement.KeyId}", $"engine key {announcement.KeyId} was retired by another engine but is current here (no newer key taken up yet); keeping it");
                }
            }
        }
        // Outside the lock: the ring change is announced (our wraps) from the Changed handler.
        if (changed) _live.Refresh();
    }

    /// <summary>Logs a problem once per distinct cause, so a stuck announcement does not flood the log.</summary>
    private void ReportOnce(string cause, string message)
    {
        lock (_reported)
        {
            if (!_reported.Add(cause)) return;
        }
        _log(message);
    }
}
