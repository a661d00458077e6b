namespace Siem.Core.Security;

/// <summary>An enrollment refused because another host enrolled the same agent id with a different key first.</summary>
public sealed class AgentEnrollmentConflictException(string agentId, string? otherHost)
    : InvalidOperationException($"agent id '{agentId}' is already enrolled with a different key{(otherHost is null ? "" : $" (host {otherHost})")}; revoke it first or choose another id")
{
    public string AgentId { get; } = agentId;
}
