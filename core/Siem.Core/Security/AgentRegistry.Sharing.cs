using System.Text.Json;
using System.Text.Json.Serialization;

namespace Siem.Core.Security;

/// <summary>
/// Sharing the registry with engines on other hosts (the engine's <c>SIEM_AGENTS</c> bucket sync): this instance says
/// which agents changed (<see cref="Changed"/>), lets the sync decide enrollments first (<see cref="EnrollmentClaim"/>),
/// and takes in what other hosts recorded (<see cref="MergeShared"/>). The file stays the local cache, so an engine
/// starts and opens batches without the broker.
/// </summary>
public sealed partial class AgentRegistry
{
    /// <summary>
    /// Raised with the ids of the agents whose record changed, after this instance wrote the file or re-read one another
    /// process wrote (agents' routine key reports: at the coalesced write, at most once per <see cref="ReportFlushDelay"/>).
    /// Raised under the registry's lock: handlers must be quick and must not call back into the registry.
    /// </summary>
    public event Action<IReadOnlyCollection<string>>? Changed;

    /// <summary>
    /// Asked before an enrollment is recorded, with the record about to be written; returns the record the hosts sharing
    /// the registry agreed on: the proposed one (or the same agent as already enrolled with the same key), or another
    /// host's enrollment of the id (then <see cref="Register"/> refuses with <see cref="AgentEnrollmentConflictException"/>).
    /// Throws <see cref="IOException"/> when it cannot decide (the broker is not reachable): nothing is recorded.
    /// </summary>
    public Func<AgentRecord, AgentRecord>? EnrollmentClaim { get; set; }

    /// <summary>
    /// Asked when an agent id is known neither in memory nor in the file: another host may have enrolled it a moment
    /// ago, before this host heard of it. Returns that host's record, or null. The opener waits for it, so it must be
    /// quick and bounded (the sync asks the bucket once, with a short timeout, and remembers misses for a while).
    /// </summary>
    public Func<string, AgentRecord?>? SharedLookup { get; set; }

    /// <summary>
    /// Takes in another host's record of an agent (<see cref="AgentRecordMerge"/>: never un-revokes). An identity,
    /// enrollment or revocation change is written at once; a newer key report alone waits for the coalesced write.
    /// </summary>
    public SharedAgentMerge MergeShared(AgentRecord shared) => MergeShared([shared])[0];

    /// <summary>
    /// Takes in many records at once (a host catching up with the bucket): one write of the file for all of them, not
    /// one per agent. One result per record, in order.
    /// </summary>
    public IReadOnlyList<SharedAgentMerge> MergeShared(IReadOnlyList<AgentRecord> shared)
    {
        ArgumentNullException.ThrowIfNull(shared);
        var results = new List<SharedAgentMerge>(shared.Count);
        lock (_gate)
        {
            RefreshIfChanged();
            Dictionary<string, AgentRecord>? next = null;
            bool reportsWait = false;
            foreach (var record in shared)
            {
                var stored = next != null ? next.GetValueOrDefault(record.AgentId) : _agents.GetValueOrDefault(record.AgentId);
                if (stored is null)
                {
                    (next ??= WithPendingReports(_agents))[record.AgentId] = record;
                    results.Add(new SharedAgentMerge(record, SharedAgentMergeOutcome.Added, Conflict: false));
                    continue;
                }
                var local = next != null ? stored : WithPendingReport(stored);
                var (merged, conflict) = AgentRecordMerge.Merge(local, record);
                if (AgentRecordMerge.SameContent(merged, local))
                {
                    results.Add(new SharedAgentMerge(local, SharedAgentMergeOutcome.Unchanged, conflict));
                    continue;
                }
                var outcome = merged.Revoked && !local.Revoked ? SharedAgentMergeOutcome.Revoked : SharedAgentMergeOutcome.Updated;
                results.Add(new SharedAgentMerge(merged, outcome, conflict));
                if (next == null && AgentRecordMerge.SameExceptReport(merged, stored) && merged.EngineKeyId is { } sealingKey && merged.EngineKeyReportedAt is { } reportedAt)
                {
                    // Only a newer report: coalesced with this host's own reports.
                    _pendingReports[record.AgentId] = new EngineKeyReport(sealingKey, [.. merged.PendingEngineKeyIds ?? []], reportedAt);
                    reportsWait = true;
                    continue;
                }
                (next ??= WithPendingReports(_agents))[record.AgentId] = merged;
            }
            if (next != null)
            {
                Persist(next);
                Replace(next);
                ReportsWritten();
            }
            else if (reportsWait)
            {
                if (_path == null) FlushLocked();
                else _flushTimer ??= _clock.CreateTimer(_ => FlushFromTimer(), null, ReportFlushDelay, Timeout.InfiniteTimeSpan);
            }
        }
        return results;
    }

    /// <summary>One agent's record as the shared bucket holds it (compact JSON; public keys only, no secret).</summary>
    public static byte[] EncodeShared(AgentRecord record) => JsonSerializer.SerializeToUtf8Bytes(record, SharedJsonOptions);

    /// <summary>The record, or null when the value is not a valid agent record (bad JSON, invalid id, key or tenant).</summary>
    public static AgentRecord? DecodeShared(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<AgentRecord>(json, SharedJsonOptions) is { } r
                && AgentIdValidator.IsValid(r.AgentId) && AgentIdValidator.IsValid(r.Tenant) && r.SigningPublicKey is { Length: 32 }
                && r.PreviousSigningPublicKey is null or { Length: 32 } ? r : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static readonly JsonSerializerOptions SharedJsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    /// <summary>An agent another host enrolled, found through <see cref="SharedLookup"/> and recorded here (in memory if the file cannot be written).</summary>
    private bool TryGetShared(string agentId, out AgentRecord record)
    {
        record = null!;
        if (SharedLookup?.Invoke(agentId) is not { } shared || shared.AgentId != agentId) return false;
        try
        {
            record = MergeShared(shared).Record;
        }
        catch (Exception ex) when (ex is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            Log?.Invoke($"agent registry {_path}: agent '{agentId}' found in the shared registry but not written here ({ex.Message}); written at its next change");
            record = shared;
        }
        return true;
    }

    /// <summary>The record to write for an enrollment once the sharing hosts decided (callers: <see cref="Register"/>).</summary>
    private static AgentRecord Claimed(AgentRecord proposed, AgentRecord decided)
    {
        if (decided.AgentId != proposed.AgentId) throw new InvalidOperationException($"the enrollment claim for '{proposed.AgentId}' answered for '{decided.AgentId}'");
        if (decided.Revoked) throw new InvalidOperationException($"agent '{proposed.AgentId}' is revoked; enroll it under a new agent id");
        if (!decided.SigningPublicKey.AsSpan().SequenceEqual(proposed.SigningPublicKey))
            throw new AgentEnrollmentConflictException(proposed.AgentId, decided.HostName);
        return decided;
    }

    /// <summary>Makes <paramref name="next"/> the registry readers see and tells <see cref="Changed"/> which agents differ (callers hold <c>_gate</c>, or construct).</summary>
    private void Replace(Dictionary<string, AgentRecord> next)
    {
        var before = _agents;
        Volatile.Write(ref _agents, next);
        if (Changed is not { } changed) return;
        var ids = new List<string>();
        foreach (var (id, record) in next)
        {
            if (!before.TryGetValue(id, out var old) || !(ReferenceEquals(old, record) || AgentRecordMerge.SameContent(old, record))) ids.Add(id);
        }
        if (ids.Count > 0) changed(ids);
    }
}
