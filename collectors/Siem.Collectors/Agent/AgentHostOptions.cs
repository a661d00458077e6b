using Siem.Collectors.Delivery;
using Siem.Collectors.Parsing;
using Siem.Collectors.Spool;
using Siem.Nats;

namespace Siem.Collectors.Agent;

/// <summary>Everything the agent host needs besides its sources. The state dir holds identity, enrollment, spool, sequence and status.</summary>
public sealed record AgentHostOptions
{
    public required string StateDir { get; init; }
    public NatsOpts Nats { get; init; } = NatsOpts.Default with { Name = "siem-agent" };
    public BatchOptions Batch { get; init; } = BatchOptions.Default;
    public SpoolOptions Spool { get; init; } = SpoolOptions.Default;
    public ShipperOptions Shipper { get; init; } = ShipperOptions.Default;

    /// <summary>Parser options; the agent id is filled in from the enrollment state.</summary>
    public ParserOptions Parser { get; init; } = ParserOptions.Default;

    /// <summary>How often <c>status.json</c> is rewritten in the state dir.</summary>
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the agent asks the engine which key to seal to (also at every connect). A rotated engine key
    /// reaches the agent within this time; <c>siem keys retire</c> waits for every agent to have switched.</summary>
    public TimeSpan KeyCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Operational messages (never key material, never record contents).</summary>
    public Action<string> Log { get; init; } = _ => { };
}
