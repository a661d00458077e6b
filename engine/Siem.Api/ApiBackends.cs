using Siem.Api.Audit;
using Siem.Api.Live;
using Siem.Api.Purges;
using Siem.Api.Rules;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;

namespace Siem.Api;

/// <summary>What the API serves from: the host's index, agent registry, live alert feed and counters.</summary>
public sealed record ApiBackends
{
    public required IIndexSink Index { get; init; }

    /// <summary>The engine's registry (the same instance the envelope opener reads, so a revocation takes effect at once).</summary>
    public AgentRegistry? Agents { get; init; }

    /// <summary>The host publishes indexed alerts here (EventPipeline.AlertIndexed).</summary>
    public AlertFeed Alerts { get; init; } = new();

    /// <summary>The rules the engine runs (the host reloads its detector on <see cref="RuleStore.Changed"/>); null = one over the options' paths.</summary>
    public RuleStore? Rules { get; init; }

    /// <summary>Where writes are audited; null = the platform audit log under the data dir (<see cref="LedgerAuditLog"/>).</summary>
    public IApiAuditLog? Audit { get; init; }

    /// <summary>The lineage ledger (alert/record paths, subject lookups); null = lineage endpoints answer 501.</summary>
    public LineageLedger? Lineage { get; init; }

    /// <summary>Turns a compliance officer's FIELD=VALUE into the ledger's pseudonymous subject id.</summary>
    public SubjectPseudonymizer? Subjects { get; init; }

    /// <summary>Purge requests, approvals and runs; null = purge endpoints answer 501.</summary>
    public PurgeRunner? Purges { get; init; }

    /// <summary>Announces revocations to engines in other processes (<c>siem serve --roles api</c>); null when the engine runs in this process.</summary>
    public Siem.Engine.Control.LiveChangePublisher? LiveChanges { get; init; }

    /// <summary>Counters shown on the status page and at /api/metrics (name → value), read on each request.</summary>
    public Func<IReadOnlyDictionary<string, long>>? Metrics { get; init; }

    /// <summary>Every process's OpenTelemetry instruments for the status page (what <c>siem serve</c> processes broadcast, or the demo's own); null = none.</summary>
    public Siem.Api.Metrics.ProcessMetricsBoard? Processes { get; init; }

    /// <summary>Called after an alert is closed through triage: the host tells the alert delivery, which resolves the alert's PagerDuty incident. Null = nothing.</summary>
    public Func<Siem.Engine.Alerts.AlertDocument, CancellationToken, Task>? AlertClosed { get; init; }

    /// <summary>Whether the host's broker connection is up; null when the host has none.</summary>
    public Func<bool>? BrokerConnected { get; init; }
}
