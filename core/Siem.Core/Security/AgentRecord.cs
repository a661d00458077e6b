using System.Text.Json.Serialization;

namespace Siem.Core.Security;

/// <summary>An enrolled agent as the engine knows it.</summary>
public sealed record AgentRecord(string AgentId, string Tenant, byte[] SigningPublicKey, DateTimeOffset EnrolledAt, bool Revoked = false, DateTimeOffset? RevokedAt = null, string? HostName = null)
{
    /// <summary>The identity key a rotation replaced (<c>siem-agent rotate-key</c>): batches signed with it (spooled before
    /// the rotation) are accepted until <see cref="PreviousKeyValidUntil"/>, then quarantined.</summary>
    public byte[]? PreviousSigningPublicKey { get; init; }
    public DateTimeOffset? PreviousKeyValidUntil { get; init; }
    public DateTimeOffset? SigningKeyRotatedAt { get; init; }

    /// <summary>The engine key the agent seals new batches to (given at enrollment, then as the agent reports it);
    /// null for agents enrolled before agents reported their key.</summary>
    public string? EngineKeyId { get; init; }

    /// <summary>Earlier engine keys the agent's unacknowledged (spooled) batches are still sealed to, as last reported.</summary>
    public IReadOnlyList<string>? PendingEngineKeyIds { get; init; }
    public DateTimeOffset? EngineKeyReportedAt { get; init; }

    /// <summary>Every engine key this agent may still send batches under (what <c>siem keys retire</c> must not delete).</summary>
    [JsonIgnore]
    public IEnumerable<string> EngineKeysInUse => EngineKeyId is null ? [] : [EngineKeyId, .. PendingEngineKeyIds ?? []];
}
