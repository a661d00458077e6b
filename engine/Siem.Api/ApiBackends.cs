using Siem.Api.Audit;
using Siem.Api.Live;
using Siem.Core.Security;
using Siem.Engine.Index;

namespace Siem.Api;

/// <summary>What the API serves from: the host's index, agent registry, live alert feed and counters.</summary>
public sealed record ApiBackends
{
    public required IIndexSink Index { get; init; }

    /// <summary>The engine's registry (the same instance the envelope opener reads, so a revocation takes effect at once).</summary>
    public AgentRegistry? Agents { get; init; }

    /// <summary>The host publishes indexed alerts here (EventPipeline.AlertIndexed).</summary>
    public AlertFeed Alerts { get; init; } = new();

    /// <summary>Where writes are audited; null = JSON lines in <c>&lt;data&gt;/api/audit.jsonl</c>.</summary>
    public IApiAuditLog? Audit { get; init; }

    /// <summary>Counters shown on the status page and at /api/metrics (name → value), read on each request.</summary>
    public Func<IReadOnlyDictionary<string, long>>? Metrics { get; init; }

    /// <summary>Whether the host's broker connection is up; null when the host has none.</summary>
    public Func<bool>? BrokerConnected { get; init; }
}
