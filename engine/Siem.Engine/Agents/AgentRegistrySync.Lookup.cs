using System.Collections.Concurrent;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Engine.Agents;

/// <summary>
/// An agent another host enrolled a moment ago may send its first batch here before the watch delivered its record:
/// the opener then asks the bucket once (<see cref="AgentRegistry.SharedLookup"/>) instead of quarantining the batch
/// as from an unknown agent.
/// </summary>
public sealed partial class AgentRegistrySync
{
    /// <summary>How long the opener waits for the bucket's answer about an unknown agent.</summary>
    private static readonly TimeSpan LookupTimeout = TimeSpan.FromSeconds(2);

    /// <summary>An id the bucket did not know is not asked about again for this long (batches from a stranger do not each cost a round trip).</summary>
    private static readonly TimeSpan MissMemory = TimeSpan.FromSeconds(5);

    /// <summary>Remembered misses at most; beyond that the memory starts over.</summary>
    private const int MaxRememberedMisses = 10_000;

    private readonly ConcurrentDictionary<string, long> _misses = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _lookupGate = new(1, 1);
    private long _lookups;

    /// <summary>Round trips to the bucket for agents unknown here.</summary>
    public long Lookups => Interlocked.Read(ref _lookups);

    /// <summary>The bucket's record of an agent unknown here, or null (not there, broker away, another lookup running, or asked recently).</summary>
    private AgentRecord? LookUp(string agentId)
    {
        if (!_opened.Task.IsCompletedSuccessfully) return null;
        long now = Environment.TickCount64;
        if (_misses.TryGetValue(agentId, out long missedAt) && now - missedAt < (long)MissMemory.TotalMilliseconds) return null;
        // One at a time: a burst of unknown ids costs at most one round trip in flight.
        if (!_lookupGate.Wait(0)) return null;
        try
        {
            Interlocked.Increment(ref _lookups);
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            timeout.CancelAfter(LookupTimeout);
            var entry = _opened.Task.Result.GetAsync(agentId, timeout.Token).GetAwaiter().GetResult();
            if (entry != null && AgentRegistry.DecodeShared(entry.Value.Span) is { } shared && shared.AgentId == agentId)
            {
                _shared[agentId] = shared;
                _log($"agent '{agentId}' found in {Bucket} before the watch delivered it (enrolled on another host just now)");
                return shared;
            }
            Missed(agentId, now);
            return null;
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException or ObjectDisposedException)
        {
            Missed(agentId, now);
            return null;
        }
        finally
        {
            _lookupGate.Release();
        }
    }

    private void Missed(string agentId, long now)
    {
        if (_misses.Count >= MaxRememberedMisses) _misses.Clear();
        _misses[agentId] = now;
    }
}
