using Siem.Core.Security;
using Siem.Engine.Control;
using Siem.Nats.JetStream;

namespace Siem.Engine.Keys;

/// <summary>
/// Engine key rotations and retirements travel between engines with separate data dirs (several hosts) through the
/// JetStream KV bucket <c>SIEM_ENGINE_KEYS</c>, one entry per key (<see cref="EngineKeyAnnouncement"/>):
/// <list type="bullet">
/// <item>this engine announces every key of its data dir, the private half wrapped under each other key it holds
/// (never in plaintext), when it starts and whenever its ring changes (<c>siem keys rotate|retire</c> on this host) —
/// before the key service tells agents about a new key, so other engines have it first;</item>
/// <item>it watches the bucket and takes up keys it can unwrap with a key it holds (a newer one becomes current, so its
/// agents are told of it too), and retires keys retired elsewhere. A key retired here is never taken up again.</item>
/// </list>
/// The first key is shared by the operator, as before (the same <c>engine/engine-key.json</c> on every host); from
/// then on rotations need no copying. The files under the data dir stay the source of truth: this class changes them
/// through <see cref="EngineKeyRing"/> and lets <see cref="LiveEngineKeys"/> load the result.
/// </summary>
public sealed partial class EngineKeyDistribution
{
    public const string Bucket = "SIEM_ENGINE_KEYS";
    public const string KeyPrefix = "key.";

    /// <summary>How long a ring change waits for its announcement before the key service goes on without it.</summary>
    private static readonly TimeSpan AnnounceTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a failed watch waits before it starts again.</summary>
    private static readonly TimeSpan RewatchDelay = TimeSpan.FromSeconds(2);

    private readonly NatsKVStore _bucket;
    private readonly string _dataDir;
    private readonly LiveEngineKeys _live;
    private readonly Action<string> _log;
    private readonly object _filesGate = new();
    private readonly SemaphoreSlim _announceGate = new(1, 1);
    private readonly Dictionary<string, EngineKeyAnnouncement> _seen = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private long _imported;
    private long _retired;

    private EngineKeyDistribution(NatsKVStore bucket, string dataDir, LiveEngineKeys live, Action<string>? log)
    {
        _bucket = bucket;
        _dataDir = dataDir;
        _live = live;
        _log = log ?? (_ => { });
    }

    /// <summary>Keys taken up from other engines.</summary>
    public long Imported => Interlocked.Read(ref _imported);

    /// <summary>Keys retired here because another engine retired them.</summary>
    public long RetiredFromElsewhere => Interlocked.Read(ref _retired);

    /// <summary>Opens (creates) the bucket, announces this data dir's keys and follows the ring from now on.</summary>
    /// <param name="replicas">Copies of the bucket if it is created now.</param>
    public static async Task<EngineKeyDistribution> StartAsync(NatsJSContext jetStream, string dataDir, LiveEngineKeys live, int replicas = 1, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(live);
        var bucket = await jetStream.CreateKeyValueAsync(new KvConfig(Bucket)
        {
            Description = "siem: engine keys (public half; private half wrapped under the engines' other keys) so rotations reach engines on other hosts",
            History = 1,
            Replicas = replicas,
        }, cancellationToken).ConfigureAwait(false);
        var distribution = new EngineKeyDistribution(bucket, dataDir, live, log);
        await distribution.AnnounceAsync(cancellationToken).ConfigureAwait(false);
        live.Changed += distribution.OnRingChanged;
        return distribution;
    }

    /// <summary>Takes up announcements (rotations and retirements by other engines) until cancelled; a watch the
    /// broker refuses (JetStream unavailable for a moment) is logged and started again.</summary>
    public async Task WatchAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await WatchOnceAsync(cancellationToken).ConfigureAwait(false);
                    return; // the connection closed
                }
                catch (Siem.Nats.NatsException ex)
                {
                    _log($"watching {Bucket} for engine keys of other engines failed ({ex.Message}); watching again in {RewatchDelay.TotalSeconds:0} s");
                    await Task.Delay(RewatchDelay, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _live.Changed -= OnRingChanged;
        }
    }

    private async Task WatchOnceAsync(CancellationToken cancellationToken)
    {
        await foreach (var entry in _bucket.WatchAsync(KeyPrefix + ">", cancellationToken).ConfigureAwait(false))
        {
            if (entry.Operation != KvOperation.Put) continue;
            if (EngineKeyAnnouncement.Decode(entry.Value.Span) is not { } announcement || KeyPrefix + announcement.KeyId != entry.Key)
            {
                ReportOnce($"bad:{entry.Key}:{entry.Revision}", $"engine key announcement {Bucket}/{entry.Key} (revision {entry.Revision}) is not valid; ignored");
                continue;
            }
            lock (_filesGate) _seen[announcement.KeyId] = announcement;
            if (entry.Delta > 0) continue; // not caught up yet: apply what the bucket holds as a whole (chains of rotations)
            try
            {
                Apply();
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidDataException)
            {
                _log($"engine keys announced in {Bucket} could not be applied to {_dataDir} ({ex.Message}); trying again at the next announcement");
            }
        }
    }

    /// <summary>
    /// Announces the keys of this data dir: every held key not announced yet (or not wrapped under every other key held
    /// here), and a retirement for every key retired here. Conditional writes, so engines announcing at once merge.
    /// </summary>
    public async Task AnnounceAsync(CancellationToken cancellationToken = default)
    {
        await _announceGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var ring = EngineKeyRing.Open(_dataDir, out _);
            foreach (var key in ring.ById.Values) await AnnounceKeyAsync(key, ring, cancellationToken).ConfigureAwait(false);
            foreach (var retired in ring.Retired) await AnnounceRetiredAsync(retired, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _announceGate.Release();
        }
    }

    private async Task AnnounceKeyAsync(EngineKeyPair key, EngineKeyRing ring, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < 5; attempt++)
        {
            var entry = await _bucket.GetAsync(KeyPrefix + key.KeyId, cancellationToken).ConfigureAwait(false);
            var existing = entry is null ? null : EngineKeyAnnouncement.Decode(entry.Value.Span);
            if (existing?.Retired == true) return; // retired elsewhere: Apply retires it here
            var wrappers = ring.ById.Values.Where(w => w.KeyId != key.KeyId && existing?.Wrapped?.ContainsKey(w.KeyId) != true).ToList();
            if (existing != null && wrappers.Count == 0) return;
            // Keep the wraps others added (under keys this engine may not hold).
            var fresh = EngineKeyAnnouncement.Of(key, wrappers);
            var merged = fresh with { Wrapped = new Dictionary<string, string>((existing?.Wrapped ?? new Dictionary<string, string>()).Concat(fresh.Wrapped!), StringComparer.Ordinal) };
            var written = entry is null
                ? await _bucket.TryCreateAsync(KeyPrefix + key.KeyId, merged.Encode(), cancellationToken).ConfigureAwait(false)
                : await _bucket.TryUpdateAsync(KeyPrefix + key.KeyId, merged.Encode(), entry.Revision, cancellationToken).ConfigureAwait(false);
            if (written != null) return;
        }
        _log($"engine key {key.KeyId}: announcing it in {Bucket} kept conflicting with other engines; trying again at the next change");
    }

    private async Task AnnounceRetiredAsync(string keyId, CancellationToken cancellationToken)
    {
        var entry = await _bucket.GetAsync(KeyPrefix + keyId, cancellationToken).ConfigureAwait(false);
        if (entry != null && EngineKeyAnnouncement.Decode(entry.Value.Span)?.Retired == true) return;
        // Replaces the announcement with its wrapped private half (history 1: the earlier revision goes).
        await _bucket.PutAsync(KeyPrefix + keyId, EngineKeyAnnouncement.RetiredKey(keyId).Encode(), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>A rotation or retirement on this data dir (raised before the key service announces the new ring to agents).</summary>
    private void OnRingChanged(EngineKeyRing ring)
    {
        try
        {
            using var timeout = new CancellationTokenSource(AnnounceTimeout);
            // Blocking on purpose: agents hear of a new key only after the other engines can have it.
            AnnounceAsync(timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is OperationCanceledException or Siem.Nats.NatsException or IOException or InvalidDataException)
        {
            _log($"engine keys changed but could not be announced in {Bucket} ({ex.Message}); other engines learn of it at this engine's next start or change");
        }
    }
}
