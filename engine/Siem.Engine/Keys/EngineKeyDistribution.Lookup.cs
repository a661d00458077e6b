namespace Siem.Engine.Keys;

/// <summary>
/// A batch names a key this engine does not hold. Another host may have rotated a moment ago and sealed agents' batches
/// to the new key before this engine's watch delivered the announcement: before such a batch is quarantined as
/// unknown_key, the bucket entry of that one key is read and taken up (<see cref="TryTakeUp"/>). The reads are
/// rate-limited per key id and overall, so batches naming made-up key ids (the key id is read before the signature is
/// checked) cannot turn into a flood of bucket requests; a limited lookup answers "not held" and the batch is quarantined.
/// </summary>
public sealed partial class EngineKeyDistribution
{
    /// <summary>The same key id is looked up at most once in this interval.</summary>
    private static readonly TimeSpan SameKeyLookupInterval = TimeSpan.FromSeconds(1);
    /// <summary>At most this many bucket lookups per second, whatever the key ids.</summary>
    private const int MaxLookupsPerSecond = 10;
    /// <summary>Key ids remembered for the per-key interval (forgotten all at once beyond this, so memory stays bounded).</summary>
    private const int MaxRememberedLookups = 1024;
    /// <summary>How long the opener waits for the bucket's answer.</summary>
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(2);

    /// <summary>The rate limit's clock (tests step it).</summary>
    internal TimeProvider LookupClock { get; set; } = TimeProvider.System;

    private readonly Dictionary<string, long> _lastLookupOf = new(StringComparer.Ordinal);
    private long _lookupWindowStart;
    private int _lookupsInWindow;
    private long _lookups, _lookupsLimited;

    /// <summary>Bucket lookups made for batches naming a key this engine did not hold.</summary>
    public long KeyLookups => Interlocked.Read(ref _lookups);

    /// <summary>Lookups not made because of the rate limit (those batches were refused as unknown_key).</summary>
    public long KeyLookupsLimited => Interlocked.Read(ref _lookupsLimited);

    /// <summary>
    /// Reads the bucket entry of <paramref name="keyId"/> and takes the key up when this engine can unwrap it (and did not
    /// retire it); true when the engine holds the key afterwards. Blocks for at most <see cref="LookupTimeout"/> (it runs
    /// on the engine's opener stage, not on its processing loop). False without a request when rate-limited.
    /// </summary>
    public bool TryTakeUp(string keyId)
    {
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        if (_live.Ring.ById.ContainsKey(keyId)) return true;
        if (!TryStartLookup(keyId))
        {
            Interlocked.Increment(ref _lookupsLimited);
            return false;
        }
        Interlocked.Increment(ref _lookups);
        EngineKeyAnnouncement? announcement;
        try
        {
            using var timeout = new CancellationTokenSource(LookupTimeout);
            var entry = _bucket.GetAsync(KeyPrefix + keyId, timeout.Token).GetAwaiter().GetResult();
            announcement = entry is null ? null : EngineKeyAnnouncement.Decode(entry.Value.Span);
        }
        catch (Exception ex) when (ex is OperationCanceledException or Siem.Nats.NatsException)
        {
            ReportOnce($"lookup:{ex.GetType().Name}", $"looking up engine key {keyId} in {Bucket} for a batch sealed to it failed ({ex.Message}); such batches are quarantined as unknown_key until the bucket answers");
            return false;
        }
        if (announcement is null || announcement.Retired || announcement.KeyId != keyId) return false;
        lock (_filesGate) _seen.TryAdd(keyId, announcement); // the watch's copy, when it has one, is at least as new
        try
        {
            Apply();
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
        {
            _log($"engine key {keyId} found in {Bucket} could not be applied to {_dataDir} ({ex.Message}); batches sealed to it are quarantined as unknown_key");
            return false;
        }
        return _live.Ring.ById.ContainsKey(keyId);
    }

    private bool TryStartLookup(string keyId)
    {
        var clock = LookupClock;
        long now = clock.GetTimestamp();
        lock (_lastLookupOf)
        {
            if (_lastLookupOf.TryGetValue(keyId, out long last) && clock.GetElapsedTime(last, now) < SameKeyLookupInterval) return false;
            if (_lookupsInWindow == 0 || clock.GetElapsedTime(_lookupWindowStart, now) >= TimeSpan.FromSeconds(1))
            {
                _lookupWindowStart = now;
                _lookupsInWindow = 0;
            }
            if (_lookupsInWindow >= MaxLookupsPerSecond) return false;
            _lookupsInWindow++;
            if (_lastLookupOf.Count >= MaxRememberedLookups) _lastLookupOf.Clear();
            _lastLookupOf[keyId] = now;
            return true;
        }
    }
}
