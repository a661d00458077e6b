using System.Text;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Which of <c>n</c> correlation partitions this engine owns. Every engine heartbeats its id into a KV bucket and
/// watches the bucket; the live engines (heard from within <see cref="PartitionMembershipOptions.Lease"/>, or not yet
/// deleted on a graceful leave) split the partitions by rendezvous hashing, so when one engine leaves only its
/// partitions move, and every engine computes the same assignment from the same member set without a leader.
/// While membership changes propagate (at most one lease), two engines may briefly both own a partition; consumers of
/// partition subjects must therefore tolerate a redelivery, which JetStream explicit acks already require.
/// </summary>
public sealed class PartitionMembership : IAsyncDisposable
{
    private readonly NatsKVStore _kv;
    private readonly PartitionMembershipOptions _options;
    private readonly Dictionary<string, DateTimeOffset> _lastSeen = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly object _gate = new();
    private IReadOnlyList<int> _owned = [];
    private IReadOnlyList<string> _members = [];
    private Task _heartbeat = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private bool _stopped;

    public string EngineId { get; }
    public int Partitions { get; }

    private PartitionMembership(NatsKVStore kv, string engineId, int partitions, PartitionMembershipOptions options)
    {
        _kv = kv;
        EngineId = engineId;
        Partitions = partitions;
        _options = options;
    }

    /// <summary>The partitions this engine owns now (sorted).</summary>
    public IReadOnlyList<int> Owned { get { lock (_gate) return _owned; } }

    /// <summary>The engines this one considers alive (itself included, sorted).</summary>
    public IReadOnlyList<string> Members { get { lock (_gate) return _members; } }

    /// <summary>Raised (on a background thread) with the new owned partitions whenever they change.</summary>
    public event Action<IReadOnlyList<int>>? OwnershipChanged;

    public static async Task<PartitionMembership> StartAsync(NatsJSContext js, string engineId, int partitions, PartitionMembershipOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentException.ThrowIfNullOrEmpty(engineId);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        options ??= PartitionMembershipOptions.Default;
        var kv = await js.CreateKeyValueAsync(new KvConfig(options.Bucket) { History = 1, Replicas = options.Replicas, Ttl = options.Lease * 3 }, cancellationToken).ConfigureAwait(false);
        var m = new PartitionMembership(kv, engineId, partitions, options);
        await m.BeatAsync(cancellationToken).ConfigureAwait(false);
        m._watch = Task.Run(m.WatchLoopAsync, CancellationToken.None);
        m._heartbeat = Task.Run(m.HeartbeatLoopAsync, CancellationToken.None);
        return m;
    }

    /// <summary>Rendezvous (highest random weight) assignment: partition p goes to the member with the largest hash of (member, p).</summary>
    public static IReadOnlyList<int> Assign(string engineId, IEnumerable<string> members, int partitions)
    {
        var list = members.Distinct(StringComparer.Ordinal).ToList();
        var owned = new List<int>();
        for (int p = 0; p < partitions; p++)
        {
            string? best = null;
            ulong bestWeight = 0;
            foreach (var m in list)
            {
                ulong w = Weight(m, p);
                if (best == null || w > bestWeight || (w == bestWeight && string.CompareOrdinal(m, best) < 0)) (best, bestWeight) = (m, w);
            }
            if (best == engineId) owned.Add(p);
        }
        return owned;
    }

    private static ulong Weight(string member, int partition)
    {
        // FNV-1a over "member/partition", then the splitmix64 finaliser so near-identical ids spread well.
        ulong h = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes($"{member}/{partition}"))
        {
            h = (h ^ b) * 1099511628211UL;
        }
        h ^= h >> 30;
        h *= 0xbf58476d1ce4e5b9UL;
        h ^= h >> 27;
        h *= 0x94d049bb133111ebUL;
        return h ^ (h >> 31);
    }

    private async Task BeatAsync(CancellationToken cancellationToken)
    {
        await _kv.PutAsync(EngineId, Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O")), cancellationToken).ConfigureAwait(false);
        lock (_gate) _lastSeen[EngineId] = DateTimeOffset.UtcNow;
        Recompute();
    }

    private async Task HeartbeatLoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.Heartbeat, _stop.Token).ConfigureAwait(false);
                await BeatAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                // Broker unreachable: keep the current view; others will drop us after the lease if this lasts.
                Recompute();
            }
        }
    }

    private async Task WatchLoopAsync()
    {
        try
        {
            await foreach (var entry in _kv.WatchAsync(cancellationToken: _stop.Token).ConfigureAwait(false))
            {
                lock (_gate)
                {
                    if (entry.Operation == KvOperation.Put)
                    {
                        // Caught-up history carries its server time; a live heartbeat counts from when we saw it.
                        _lastSeen[entry.Key] = entry.Delta > 0 ? entry.Created : DateTimeOffset.UtcNow;
                    }
                    else
                    {
                        _lastSeen.Remove(entry.Key);
                    }
                }
                Recompute();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void Recompute()
    {
        IReadOnlyList<int> owned;
        lock (_gate)
        {
            if (_stopped) return;
            var now = DateTimeOffset.UtcNow;
            var live = _lastSeen.Where(s => s.Key == EngineId || now - s.Value <= _options.Lease).Select(s => s.Key).Append(EngineId)
                .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
            _members = live;
            owned = Assign(EngineId, live, Partitions);
            if (owned.SequenceEqual(_owned)) return;
            _owned = owned;
        }
        OwnershipChanged?.Invoke(owned);
    }

    /// <summary>Stops heartbeating without saying goodbye (what a crash looks like to the others: they take over after the lease).</summary>
    public async Task AbandonAsync()
    {
        lock (_gate) _stopped = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_heartbeat, _watch).ConfigureAwait(false);
    }

    /// <summary>Leaves gracefully: the heartbeat key is deleted, so the others take over at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested)
        {
            await AbandonAsync().ConfigureAwait(false);
            try
            {
                await _kv.DeleteAsync(EngineId).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or TimeoutException)
            {
                // The lease expires on its own.
            }
        }
        _stop.Dispose();
    }
}
