namespace Siem.Api.Endpoints.Responses;

/// <summary>The signed-in caller (the console uses it to sign in).</summary>
internal sealed record CallerView(string Name, IEnumerable<string> Roles);

internal sealed record AgentList(IReadOnlyList<AgentView> Agents, double SilentAfterMinutes);

/// <summary>An enrolled agent; <c>health</c>: active, silent, never_seen or revoked.</summary>
internal sealed record AgentView(string AgentId, string Tenant, string? HostName, DateTimeOffset EnrolledAt, bool Revoked,
    DateTimeOffset? RevokedAt, string? LastEventAt, string Health);

internal sealed record AgentRevoked(string AgentId, bool Revoked);

internal sealed record TokenList(IEnumerable<TokenView> Tokens);

/// <summary>An API token as listed: never its secret or hash.</summary>
internal sealed record TokenView(string Id, string Name, string Role, DateTimeOffset CreatedAt, string? CreatedBy, DateTimeOffset? ExpiresAt, DateTimeOffset? RevokedAt);

/// <summary>A new token; <c>secret</c> is shown in this response only.</summary>
internal sealed record TokenCreated(TokenView Token, string Secret);

internal sealed record TokenRevoked(string Id, bool Revoked);

/// <summary><c>status</c> ok or degraded; <c>broker</c>: connected, disconnected or not used.</summary>
internal sealed record HealthReport(string Status, string Index, string Broker, int? Agents, int LiveWatchers, DateTimeOffset Time);

/// <summary><c>counters</c>: this API process's own figures; <c>processes</c>: what every <c>siem serve</c> process (engines,
/// lineage, API) last reported on <c>siem.metrics.*</c> — the instruments exported over OTLP.</summary>
internal sealed record MetricsReport(IReadOnlyDictionary<string, long> Counters, IReadOnlyList<ProcessMetricsView> Processes);

/// <summary>One process's readings; <c>stale</c> when it has not reported for three intervals (stopped, or cut off from NATS).</summary>
internal sealed record ProcessMetricsView(string Instance, string Host, int Pid, IReadOnlyList<string> Roles, DateTimeOffset At, bool Stale, IReadOnlyList<Siem.Api.Metrics.MetricReading> Metrics);
