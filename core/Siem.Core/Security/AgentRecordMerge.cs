namespace Siem.Core.Security;

/// <summary>
/// How two hosts' views of one agent become one (engines on several hosts share the registry through a KV bucket; each
/// also keeps its own <c>agents.json</c>). The rules, so that every host ends with the same record whatever the order:
/// <list type="bullet">
/// <item>a revocation is never undone: revoked on either side means revoked, at the earlier time;</item>
/// <item>the same agent (same signing key, or one side rotated from the other's key, or the same enrollment time):
/// the later identity rotation wins, and the later key report wins;</item>
/// <item>two different enrollments of one id (hosts that enrolled it independently before they shared the registry):
/// the shared record wins — it was claimed first — and the caller logs the conflict;</item>
/// <item>a tie goes to the shared record, so hosts converge on the bucket unless one knows something newer.</item>
/// </list>
/// </summary>
public static class AgentRecordMerge
{
    /// <summary>The record both views agree on, and whether they were two different enrollments of one id.</summary>
    public static (AgentRecord Merged, bool Conflict) Merge(AgentRecord local, AgentRecord shared)
    {
        ArgumentNullException.ThrowIfNull(local);
        ArgumentNullException.ThrowIfNull(shared);
        if (local.AgentId != shared.AgentId) throw new ArgumentException($"cannot merge agent '{local.AgentId}' with agent '{shared.AgentId}'", nameof(shared));
        bool sameAgent = SameKey(local.SigningPublicKey, shared.SigningPublicKey)
            || SameKey(shared.PreviousSigningPublicKey, local.SigningPublicKey)
            || SameKey(local.PreviousSigningPublicKey, shared.SigningPublicKey)
            || local.EnrolledAt == shared.EnrolledAt;
        var identity = sameAgent && Later(local.SigningKeyRotatedAt, shared.SigningKeyRotatedAt) ? local : shared;
        var report = sameAgent && Later(local.EngineKeyReportedAt, shared.EngineKeyReportedAt) ? local : shared;
        bool revoked = local.Revoked || shared.Revoked;
        var merged = identity with
        {
            EngineKeyId = report.EngineKeyId,
            PendingEngineKeyIds = report.PendingEngineKeyIds,
            EngineKeyReportedAt = report.EngineKeyReportedAt,
            Revoked = revoked,
            RevokedAt = revoked ? Earliest(local.Revoked ? local.RevokedAt : null, shared.Revoked ? shared.RevokedAt : null) : null,
        };
        return (merged, !sameAgent);
    }

    /// <summary>Field by field (keys by content): whether two records say the same.</summary>
    public static bool SameContent(AgentRecord? a, AgentRecord? b)
    {
        if (ReferenceEquals(a, b)) return true;
        if (a is null || b is null) return false;
        return a.AgentId == b.AgentId && a.Tenant == b.Tenant && a.HostName == b.HostName && a.EnrolledAt == b.EnrolledAt
            && SameKey(a.SigningPublicKey, b.SigningPublicKey) && a.Revoked == b.Revoked && a.RevokedAt == b.RevokedAt
            && SameKey(a.PreviousSigningPublicKey, b.PreviousSigningPublicKey) && a.PreviousKeyValidUntil == b.PreviousKeyValidUntil
            && a.SigningKeyRotatedAt == b.SigningKeyRotatedAt && SameReport(a, b);
    }

    /// <summary>Whether the two say the same apart from the agents' routine key reports (which may wait to be written).</summary>
    public static bool SameExceptReport(AgentRecord a, AgentRecord b) =>
        SameContent(a, b with { EngineKeyId = a.EngineKeyId, PendingEngineKeyIds = a.PendingEngineKeyIds, EngineKeyReportedAt = a.EngineKeyReportedAt });

    private static bool SameReport(AgentRecord a, AgentRecord b) =>
        a.EngineKeyId == b.EngineKeyId && a.EngineKeyReportedAt == b.EngineKeyReportedAt
        && (a.PendingEngineKeyIds ?? []).SequenceEqual(b.PendingEngineKeyIds ?? [], StringComparer.Ordinal);

    private static bool SameKey(byte[]? a, byte[]? b) => a is null || b is null ? a is null && b is null : a.AsSpan().SequenceEqual(b);

    /// <summary>Strictly later (null is earliest): ties go to the shared record.</summary>
    private static bool Later(DateTimeOffset? local, DateTimeOffset? shared) => (local ?? DateTimeOffset.MinValue) > (shared ?? DateTimeOffset.MinValue);

    private static DateTimeOffset? Earliest(DateTimeOffset? a, DateTimeOffset? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
