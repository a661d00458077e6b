using System.Collections.Concurrent;
using Siem.Core.Security;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Agents;

/// <summary>
/// Engines (and API processes) with separate data dirs share the agent registry through the JetStream KV bucket
/// <c>SIEM_AGENTS</c>: key = agent id, value = the agent's record (<see cref="AgentRegistry.EncodeShared"/>: public keys,
/// tenant, revocation, key reports — no secret). The local <c>agents.json</c> stays the cache this host opens batches
/// from, so it starts and works without the broker.
/// <list type="bullet">
/// <item>Enrollment is decided in the bucket first (<see cref="AgentRegistry.EnrollmentClaim"/>: create, or the
/// record already there): of two hosts enrolling one id with different keys at once, exactly one wins.</item>
/// <item>Every change here (revocation, identity rotation, enrollment, key reports at their coalesced write, a file
/// another process on this data dir wrote) is merged into the bucket with revision-checked updates
/// (<see cref="AgentRecordMerge"/>: a revocation always survives a concurrent report or rotation).</item>
/// <item>The bucket is watched and every record merged here: an agent enrolled or revoked on another host counts here
/// within the watch's delivery time.</item>
/// <item>At start every local record is published (migration of an existing <c>agents.json</c>); conflicts are logged
/// and resolved by <see cref="AgentRecordMerge"/> (never un-revoked).</item>
/// </list>
/// Until the bucket is reachable the host runs on its cache, enrollment is refused ("try again"), and local changes
/// wait (in the file) to be published.
/// </summary>
public sealed partial class AgentRegistrySync : IAsyncDisposable
{
    public const string Bucket = "SIEM_AGENTS";

    /// <summary>How long an enrollment waits for the bucket's decision before it is refused ("try again").</summary>
    private static readonly TimeSpan ClaimTimeout = TimeSpan.FromSeconds(5);

    /// <summary>How long a failed open, watch or publish waits before it is tried again.</summary>
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    private readonly NatsJSContext _jetStream;
    private readonly AgentRegistry _registry;
    private readonly int _replicas;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    /// <summary>The bucket's content as this host last saw or wrote it, per agent: a local record equal to it has nothing to publish.</summary>
    private readonly ConcurrentDictionary<string, AgentRecord> _shared = new(StringComparer.Ordinal);
    private readonly HashSet<string> _reported = new(StringComparer.Ordinal);
    private readonly TaskCompletionSource<NatsKVStore> _opened = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _running = Task.CompletedTask;
    private long _mergedIn;
    private long _published;

    private AgentRegistrySync(NatsJSContext jetStream, AgentRegistry registry, int replicas, Action<string>? log)
    {
        _jetStream = jetStream;
        _registry = registry;
        _replicas = replicas;
        _log = log ?? (_ => { });
    }

    /// <summary>Records taken in from other hosts that changed something here.</summary>
    public long MergedIn => Interlocked.Read(ref _mergedIn);

    /// <summary>Records this host wrote to the bucket.</summary>
    public long Published => Interlocked.Read(ref _published);

    /// <summary>Completes once the bucket is open (the broker reachable); the sync runs in the background meanwhile.</summary>
    public Task Opened => _opened.Task;

    /// <summary>
    /// Starts sharing <paramref name="registry"/> in the background and returns at once: the bucket is opened (created
    /// with <paramref name="replicas"/> copies) as soon as the broker answers, then local records are published and
    /// the bucket is watched until disposal.
    /// </summary>
    public static AgentRegistrySync Start(NatsJSContext jetStream, AgentRegistry registry, int replicas = 1, Action<string>? log = null) =>
        Start(jetStream, registry, replicas, log, watch: true);

    /// <param name="watch">False only in tests: other hosts' records then arrive through <see cref="AgentRegistry.SharedLookup"/> alone.</param>
    internal static AgentRegistrySync Start(NatsJSContext jetStream, AgentRegistry registry, int replicas, Action<string>? log, bool watch)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentNullException.ThrowIfNull(registry);
        var sync = new AgentRegistrySync(jetStream, registry, replicas, log);
        registry.Changed += sync.OnLocalChange;
        registry.EnrollmentClaim = sync.Claim;
        registry.SharedLookup = sync.LookUp;
        sync._running = Task.Run(() => sync.RunAsync(watch, sync._stop.Token), CancellationToken.None);
        return sync;
    }

    private async Task RunAsync(bool watch, CancellationToken cancellationToken)
    {
        try
        {
            var bucket = await OpenAsync(cancellationToken).ConfigureAwait(false);
            // Migration, and whatever changed here while the broker was away: every local record is compared with the bucket once.
            MarkDirty(_registry.All.Select(a => a.AgentId));
            await Task.WhenAll(
                watch ? Task.Run(() => WatchAsync(bucket, cancellationToken), CancellationToken.None) : Task.CompletedTask,
                Task.Run(() => PublishLoopAsync(bucket, cancellationToken), CancellationToken.None)).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }

    private async Task<NatsKVStore> OpenAsync(CancellationToken cancellationToken)
    {
        for (int attempt = 1; ; attempt++)
        {
            try
            {
                var bucket = await _jetStream.CreateKeyValueAsync(new KvConfig(Bucket)
                {
                    Description = "siem: enrolled agents (public keys, tenant, revocation, key reports) shared by the engines of every host",
                    History = 1,
                    Replicas = _replicas,
                }, cancellationToken).ConfigureAwait(false);
                _opened.TrySetResult(bucket);
                if (attempt > 1) _log($"agent registry shared through {Bucket} from now on");
                return bucket;
            }
            catch (NatsException ex) when (!cancellationToken.IsCancellationRequested)
            {
                if (attempt == 1) _log($"agent registry: {Bucket} not reachable ({ex.Message}); running on agents.json until it is, enrollment refused meanwhile");
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task WatchAsync(NatsKVStore bucket, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                // A host catching up (thousands of agents) takes them in with one write of agents.json, not one per agent.
                var batch = new List<AgentRecord>();
                await foreach (var entry in bucket.WatchAsync(">", cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Operation != KvOperation.Put)
                    {
                        ReportOnce($"deleted:{entry.Key}:{entry.Revision}", $"agent '{entry.Key}' was deleted from {Bucket} (revision {entry.Revision}); this host keeps its record (revoke an agent instead of deleting it)");
                    }
                    else if (AgentRegistry.DecodeShared(entry.Value.Span) is not { } shared || shared.AgentId != entry.Key)
                    {
                        ReportOnce($"bad:{entry.Key}:{entry.Revision}", $"{Bucket}/{entry.Key} (revision {entry.Revision}) is not a valid agent record; ignored");
                    }
                    else
                    {
                        _shared[shared.AgentId] = shared;
                        batch.Add(shared);
                    }
                    if (entry.Delta == 0 && batch.Count > 0) TakeIn(Flush(batch));
                }
                return; // the connection closed
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NatsException or IOException)
            {
                _log($"watching {Bucket} failed ({ex.Message}); watching again in {RetryDelay.TotalSeconds:0} s");
                await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static List<AgentRecord> Flush(List<AgentRecord> batch)
    {
        var taken = new List<AgentRecord>(batch);
        batch.Clear();
        return taken;
    }

    /// <summary>Merges another host's record here and says what it changed.</summary>
    private void TakeIn(AgentRecord shared) => TakeIn([shared]);

    /// <summary>Merges other hosts' records here (one write) and says what changed: each agent when a few, a count when many.</summary>
    private void TakeIn(IReadOnlyList<AgentRecord> shared)
    {
        IReadOnlyList<SharedAgentMerge> merges;
        try
        {
            merges = _registry.MergeShared(shared);
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            _log($"{shared.Count} agent record(s) from {Bucket} not written to agents.json ({ex.Message}); an agent missing here is looked up in {Bucket} when its batch arrives");
            return;
        }
        int added = 0, revoked = 0, updated = 0;
        for (int i = 0; i < merges.Count; i++)
        {
            var (record, outcome) = (shared[i], merges[i].Outcome);
            if (merges[i].Conflict) ReportConflict(record, merges[i].Record);
            if (outcome == SharedAgentMergeOutcome.Unchanged) continue;
            Interlocked.Increment(ref _mergedIn);
            if (outcome == SharedAgentMergeOutcome.Added) added++;
            else if (outcome == SharedAgentMergeOutcome.Revoked) revoked++;
            else updated++;
            if (merges.Count > ManyAgents) continue;
            if (outcome == SharedAgentMergeOutcome.Added)
                _log(record.Revoked ? $"agent '{record.AgentId}' (revoked on another host) recorded from {Bucket}" : $"agent '{record.AgentId}' enrolled on another host (tenant {record.Tenant}): its batches are opened here too");
            else if (outcome == SharedAgentMergeOutcome.Revoked)
                _log($"agent '{record.AgentId}' revoked on another host ({Bucket}): its batches are quarantined here from now on");
        }
        if (merges.Count > ManyAgents && added + revoked + updated > 0)
            _log($"{Bucket}: {added} agent(s) enrolled on other hosts, {revoked} revoked there and {updated} updated taken in ({merges.Count} records read)");
    }

    /// <summary>Above this many records at once, changes are logged as counts.</summary>
    private const int ManyAgents = 20;

    private void ReportConflict(AgentRecord shared, AgentRecord kept) => ReportOnce(
        $"conflict:{shared.AgentId}:{Convert.ToBase64String(shared.SigningPublicKey)}",
        $"agent '{shared.AgentId}' was enrolled with a different key here than in {Bucket} (there: host {shared.HostName ?? "?"}, enrolled {shared.EnrolledAt:u}); "
        + $"the shared enrollment wins{(kept.Revoked ? " and the id stays revoked" : "")}: batches signed with this host's key for it are quarantined. If that is not the agent you expect, revoke the id and enroll it under a new one");

    /// <summary>Logs a problem once per distinct cause, so a stuck record does not flood the log.</summary>
    private void ReportOnce(string cause, string message)
    {
        lock (_reported)
        {
            if (!_reported.Add(cause)) return;
        }
        _log(message);
    }

    public async ValueTask DisposeAsync()
    {
        _registry.Changed -= OnLocalChange;
        if (_registry.EnrollmentClaim == Claim) _registry.EnrollmentClaim = null;
        if (_registry.SharedLookup == LookUp) _registry.SharedLookup = null;
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _running.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
