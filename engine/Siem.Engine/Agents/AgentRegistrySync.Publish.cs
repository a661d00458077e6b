using Siem.Core.Security;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Agents;

/// <summary>Getting this host's changes into the bucket, and deciding enrollments there.</summary>
public sealed partial class AgentRegistrySync
{
    /// <summary>How often one record is tried against concurrent writers before it waits for the next round.</summary>
    private const int UpdateAttempts = 8;

    /// <summary>Agents whose local record may differ from the bucket: at most one entry per agent, however often it changed.</summary>
    private readonly HashSet<string> _dirty = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _wake = new(0, 1);

    /// <summary>The registry changed (called under its lock): note the agents and wake the publisher.</summary>
    private void OnLocalChange(IReadOnlyCollection<string> agentIds) => MarkDirty(agentIds);

    private void MarkDirty(IEnumerable<string> agentIds)
    {
        lock (_dirty) _dirty.UnionWith(agentIds);
        try
        {
            if (_wake.CurrentCount == 0) _wake.Release();
        }
        catch (SemaphoreFullException)
        {
            // Already awake.
        }
    }

    /// <summary>
    /// Publishes what changed here, one revision-checked write per agent however many changes it had since the last
    /// round (routine key reports arrive here already coalesced by the registry's write). A round that fails (broker
    /// away) keeps the rest for the next one.
    /// </summary>
    private async Task PublishLoopAsync(NatsKVStore bucket, CancellationToken cancellationToken)
    {
        while (true)
        {
            await _wake.WaitAsync(cancellationToken).ConfigureAwait(false);
            string[] ids;
            lock (_dirty)
            {
                ids = [.. _dirty];
                _dirty.Clear();
            }
            for (int i = 0; i < ids.Length; i++)
            {
                try
                {
                    await PublishAsync(bucket, ids[i], cancellationToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or IOException or InvalidDataException && !cancellationToken.IsCancellationRequested)
                {
                    ReportOnce($"publish-failed:{ex.GetType().Name}", $"agent registry changes not published to {Bucket} yet ({ex.Message}); trying again every {RetryDelay.TotalSeconds:0} s");
                    MarkDirty(ids[i..]);
                    await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
                    break;
                }
            }
        }
    }

    /// <summary>Merges this host's record of the agent into the bucket (create, or update at the revision read) and takes back what the merge added.</summary>
    private async Task PublishAsync(NatsKVStore bucket, string agentId, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            if (!_registry.TryGet(agentId, out var local)) return;
            if (_shared.TryGetValue(agentId, out var known) && AgentRecordMerge.SameContent(known, local)) return;
            var entry = await bucket.GetAsync(agentId, cancellationToken).ConfigureAwait(false);
            if (entry is null)
            {
                if (await bucket.TryCreateAsync(agentId, AgentRegistry.EncodeShared(local), cancellationToken).ConfigureAwait(false) is null) continue;
                Written(local);
                return;
            }
            var shared = AgentRegistry.DecodeShared(entry.Value.Span);
            if (shared is null || shared.AgentId != agentId)
            {
                ReportOnce($"bad:{agentId}:{entry.Revision}", $"{Bucket}/{agentId} (revision {entry.Revision}) is not a valid agent record; replaced by this host's");
            }
            var (merged, conflict) = shared is null ? (local, false) : AgentRecordMerge.Merge(local, shared);
            if (conflict) ReportConflict(shared!, merged);
            if (shared is not null && AgentRecordMerge.SameContent(merged, shared))
            {
                // The bucket already says all this host knows (and maybe more): take it in.
                _shared[agentId] = shared;
                TakeIn(shared);
                return;
            }
            if (await bucket.TryUpdateAsync(agentId, AgentRegistry.EncodeShared(merged), entry.Revision, cancellationToken).ConfigureAwait(false) is null) continue;
            Written(merged);
            if (!AgentRecordMerge.SameContent(merged, local)) TakeIn(merged);
            return;
        }
        ReportOnce($"contended:{agentId}", $"agent '{agentId}': publishing to {Bucket} kept conflicting with other hosts; trying again at its next change");
    }

    private void Written(AgentRecord record)
    {
        _shared[record.AgentId] = record;
        Interlocked.Increment(ref _published);
    }

    /// <summary>
    /// <see cref="AgentRegistry.EnrollmentClaim"/>: the bucket decides. A free id is created with the proposed record
    /// (exactly one of several hosts creating at once succeeds); an id already there answers with its record, which
    /// the registry accepts only with the same key and not revoked. Blocks the enrollment responder for one or two
    /// round trips to the broker; <see cref="IOException"/> when the broker does not answer (the agent is told to try again).
    /// </summary>
    private AgentRecord Claim(AgentRecord proposed)
    {
        if (!_opened.Task.IsCompletedSuccessfully)
            throw new IOException($"the shared agent registry ({Bucket}) is not reachable yet, so the enrollment cannot be checked against the other hosts");
        var bucket = _opened.Task.Result;
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        timeout.CancelAfter(ClaimTimeout);
        try
        {
            return ClaimAsync(bucket, proposed, timeout.Token).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException)
        {
            throw new IOException($"the shared agent registry ({Bucket}) did not answer ({ex.Message})", ex);
        }
    }

    private async Task<AgentRecord> ClaimAsync(NatsKVStore bucket, AgentRecord proposed, CancellationToken cancellationToken)
    {
        for (int attempt = 0; attempt < UpdateAttempts; attempt++)
        {
            if (await bucket.TryCreateAsync(proposed.AgentId, AgentRegistry.EncodeShared(proposed), cancellationToken).ConfigureAwait(false) is not null)
            {
                Written(proposed);
                _log($"agent '{proposed.AgentId}' enrollment recorded in {Bucket} for every host");
                return proposed;
            }
            var entry = await bucket.GetAsync(proposed.AgentId, cancellationToken).ConfigureAwait(false);
            if (entry is null) continue; // deleted just now: try to create again
            return AgentRegistry.DecodeShared(entry.Value.Span) is { } shared && shared.AgentId == proposed.AgentId
                ? shared
                : throw new IOException($"{Bucket}/{proposed.AgentId} (revision {entry.Revision}) is not a valid agent record; an operator must remove it before this id can enroll");
        }
        throw new IOException($"{Bucket}/{proposed.AgentId} kept changing while this enrollment was decided");
    }
}
