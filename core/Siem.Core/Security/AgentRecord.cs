namespace Siem.Core.Security;

/// <summary>An enrolled agent as the engine knows it.</summary>
public sealed record AgentRecord(string AgentId, string Tenant, byte[] SigningPublicKey, DateTimeOffset EnrolledAt, bool Revoked = false, DateTimeOffset? RevokedAt = null, string? HostName = null);
