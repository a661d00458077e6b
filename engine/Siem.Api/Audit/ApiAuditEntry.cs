namespace Siem.Api.Audit;

/// <summary>One write through the API: who, what, on which object, with which outcome (HTTP status).</summary>
/// <param name="Actor">token:&lt;id&gt;:&lt;name&gt; or jwt:&lt;user&gt;.</param>
/// <param name="Action">e.g. alert.acknowledge, rule.upload, purge.create, agent.revoke.</param>
/// <param name="Target">The object acted on (alert id, rule id, purge id, agent id, token id).</param>
/// <param name="Detail">What was asked (reason, assignee, ...); never a secret.</param>
public sealed record ApiAuditEntry(DateTimeOffset At, string Actor, string Role, string Action, string Target, int Status, string? Detail);
