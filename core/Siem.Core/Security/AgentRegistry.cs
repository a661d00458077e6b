using System.Text.Json;
using System.Text.Json.Serialization;

namespace Siem.Core.Security;

/// <summary>
/// Engine side: the enrolled agents, their Ed25519 public keys and revocation flags. Persisted as one JSON
/// file (mode 0600, atomic rewrite; enrollments, revocations and identity rotations are written at once, agents' routine
/// key reports are coalesced, see <see cref="ReportEngineKeys"/>); <c>null</c> path = in memory.
/// Thread-safe: the enrollment responder writes while consumers read. Processes sharing the data dir (engine replicas,
/// the API) share the file: a write first re-reads a file another process changed (so nobody's enrollment or revocation
/// is overwritten), and an unknown agent id or a listing re-reads it too (an agent another engine just enrolled).
/// </summary>
public sealed partial class AgentRegistry : IDisposable
{
    private readonly object _gate = new();
    private readonly string? _path;
    private Dictionary<string, AgentRecord> _agents = new(StringComparer.Ordinal);
    private (DateTime Written, long Length) _loadedStamp = (DateTime.MinValue, -1);
    private long _fileWrites;

    /// <param name="path">The registry file; null keeps it in memory.</param>
    /// <param name="reportFlushDelay">How long agents' key reports may wait in memory before one write persists them
    /// all (default <see cref="DefaultReportFlushDelay"/>).</param>
    public AgentRegistry(string? path = null, TimeSpan? reportFlushDelay = null, TimeProvider? clock = null)
    {
        _path = path;
        ReportFlushDelay = reportFlushDelay ?? DefaultReportFlushDelay;
        if (ReportFlushDelay <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(reportFlushDelay), "the report flush delay must be positive");
        _clock = clock ?? TimeProvider.System;
        RefreshIfChanged();
    }

    /// <summary>How many times this instance rewrote the file (each an fsynced atomic rename).</summary>
    public long FileWrites => Interlocked.Read(ref _fileWrites);

    public IReadOnlyList<AgentRecord> All
    {
        get
        {
            lock (_gate)
            {
                RefreshIfChanged(forWrite: false);
                return [.. _agents.Values.Select(WithPendingReport).OrderBy(a => a.AgentId, StringComparer.Ordinal)];
            }
        }
    }

    /// <summary>Registers (or re-registers) an agent. Re-enrolling a revoked agent id is refused: revocation is final for an id.</summary>
    public AgentRecord Register(string agentId, byte[] signingPublicKey, string tenant, string? hostName = null, string? engineKeyId = null)
    {
        AgentIdValidator.Validate(agentId);
        AgentIdValidator.Validate(tenant, "tenant");
        ArgumentNullException.ThrowIfNull(signingPublicKey);
        if (signingPublicKey.Length != 32) throw new ArgumentException("an Ed25519 public key has 32 bytes", nameof(signingPublicKey));
        var record = new AgentRecord(agentId, tenant, [.. signingPublicKey], DateTimeOffset.UtcNow, HostName: hostName) { EngineKeyId = engineKeyId };
        // Hosts sharing the registry decide first (outside the lock: it asks the broker), so two of them cannot enroll one id with different keys.
        if (EnrollmentClaim is { } claim) record = Claimed(record, claim(record));
        lock (_gate)
        {
            RefreshIfChanged();
            if (_agents.TryGetValue(agentId, out var existing) && existing.Revoked)
                throw new InvalidOperationException($"agent '{agentId}' is revoked; enroll it under a new agent id");
            _pendingReports.TryRemove(agentId, out _); // a report about the previous enrollment no longer applies
            var next = WithPendingReports(_agents);
            next[agentId] = record;
            Persist(next);
            Replace(next);
            ReportsWritten();
            return record;
        }
    }

    /// <summary>Marks an agent revoked: its envelopes fail to open from now on. False if the id is unknown.</summary>
    public bool Revoke(string agentId) =>
        Update(agentId, existing => existing.Revoked ? existing : existing with { Revoked = true, RevokedAt = DateTimeOffset.UtcNow }) != null;

    /// <summary>
    /// Replaces the agent's identity key (<c>siem-agent rotate-key</c>); the replaced key still verifies batches until
    /// <paramref name="previousValidUntil"/>. Repeating the same rotation changes nothing (the agent may retry after a lost reply).
    /// </summary>
    public AgentRecord RotateSigningKey(string agentId, byte[] newSigningPublicKey, DateTimeOffset previousValidUntil)
    {
        ArgumentNullException.ThrowIfNull(newSigningPublicKey);
        if (newSigningPublicKey.Length != 32) throw new ArgumentException("an Ed25519 public key has 32 bytes", nameof(newSigningPublicKey));
        return Update(agentId, existing =>
        {
            if (existing.Revoked) throw new InvalidOperationException($"agent '{agentId}' is revoked");
            if (existing.SigningPublicKey.AsSpan().SequenceEqual(newSigningPublicKey)) return existing;
            return existing with
            {
                SigningPublicKey = [.. newSigningPublicKey],
                PreviousSigningPublicKey = existing.SigningPublicKey,
                PreviousKeyValidUntil = previousValidUntil,
                SigningKeyRotatedAt = DateTimeOffset.UtcNow,
            };
        }) ?? throw new KeyNotFoundException($"agent '{agentId}' is not enrolled");
    }

    /// <summary>Re-reads the file if another process changed it (engines call this now and then to see key rotations made elsewhere).</summary>
    public void Refresh()
    {
        if (_path == null) return;
        lock (_gate) RefreshIfChanged(forWrite: false);
    }

    /// <summary>Applies <paramref name="change"/> to the agent's record and persists it unless it returned the same
    /// record; null when the agent is unknown.</summary>
    private AgentRecord? Update(string agentId, Func<AgentRecord, AgentRecord> change)
    {
        lock (_gate)
        {
            RefreshIfChanged();
            if (!_agents.TryGetValue(agentId, out var existing)) return null;
            existing = WithPendingReport(existing);
            var changed = change(existing);
            if (ReferenceEquals(changed, existing)) return existing;
            // The agents' pending key reports go into the same write.
            var next = WithPendingReports(_agents);
            next[agentId] = changed;
            Persist(next);
            Replace(next);
            ReportsWritten();
            return changed;
        }
    }

    public bool TryGet(string agentId, out AgentRecord record)
    {
        // Readers see an immutable snapshot (copy-on-write), so no lock on the hot path.
        var snapshot = Volatile.Read(ref _agents);
        if (snapshot.TryGetValue(agentId, out var r))
        {
            record = WithPendingReport(r);
            return true;
        }
        if (_path != null)
        {
            // Enrolled by another process since this one read the file? One stat, then the lookup again.
            lock (_gate) RefreshIfChanged(forWrite: false);
            if (Volatile.Read(ref _agents).TryGetValue(agentId, out r))
            {
                record = WithPendingReport(r);
                return true;
            }
        }
        return TryGetShared(agentId, out record);
    }

    /// <summary>
    /// Re-reads the file when another process rewrote it (callers hold <c>_gate</c>, or construct). A file that vanished
    /// keeps the agents in memory; one that no longer reads throws for a write (never overwrite what we cannot read) and
    /// is ignored for a lookup (the engine keeps running on what it had).
    /// </summary>
    private void RefreshIfChanged(bool forWrite = true)
    {
        if (_path == null) return;
        var info = new FileInfo(_path);
        if (!info.Exists) return;
        var stamp = (info.LastWriteTimeUtc, info.Length);
        if (stamp == _loadedStamp) return;
        try
        {
            Replace(LoadFile(_path));
            _loadedStamp = stamp;
        }
        catch (Exception ex) when (!forWrite && ex is InvalidDataException or IOException)
        {
            // Keep serving the last good registry.
        }
    }

    private void Persist(Dictionary<string, AgentRecord> agents)
    {
        if (_path == null) return;
        var file = new RegistryFile { Version = 1, Agents = [.. agents.Values.OrderBy(a => a.AgentId, StringComparer.Ordinal)] };
        SecureFile.WriteAllBytes(_path, JsonSerializer.SerializeToUtf8Bytes(file, JsonOptions));
        Interlocked.Increment(ref _fileWrites);
        var info = new FileInfo(_path);
        _loadedStamp = (info.LastWriteTimeUtc, info.Length);
    }

    private static Dictionary<string, AgentRecord> LoadFile(string path)
    {
        RegistryFile? file;
        try
        {
            file = JsonSerializer.Deserialize<RegistryFile>(File.ReadAllBytes(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: agent registry is not valid JSON ({e.Message})", e);
        }
        var result = new Dictionary<string, AgentRecord>(StringComparer.Ordinal);
        foreach (var a in file?.Agents ?? [])
        {
            if (!AgentIdValidator.IsValid(a.AgentId) || a.SigningPublicKey is not { Length: 32 })
                throw new InvalidDataException($"{path}: agent entry '{a.AgentId}' has an invalid id or public key");
            result[a.AgentId] = a;
        }
        return result;
    }

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    private sealed class RegistryFile
    {
        public int Version { get; set; }
        public List<AgentRecord> Agents { get; set; } = [];
    }
}
