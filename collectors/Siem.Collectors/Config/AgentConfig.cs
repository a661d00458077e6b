using NodaTime;
using Siem.Collectors.Delivery;
using Siem.Collectors.Spool;

namespace Siem.Collectors.Config;

/// <summary>The agent's YAML config file (see deploy/agent/siem-agent.yml), after validation.</summary>
public sealed record AgentConfig
{
    public string? AgentId { get; init; }
    public string? Tenant { get; init; }
    public required string StateDir { get; init; }

    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];
    public string? TlsCaFile { get; init; }
    public string? TlsCertFile { get; init; }
    public string? TlsKeyFile { get; init; }
    public string? User { get; init; }
    public string? Password { get; init; }
    public string? Token { get; init; }
    public string? NKeySeedFile { get; init; }

    public IReadOnlyList<SourceConfig> Sources { get; init; } = [];
    public DateTimeZone? TimeZone { get; init; }
    public BatchOptions Batch { get; init; } = BatchOptions.Default;
    public SpoolOptions Spool { get; init; } = SpoolOptions.Default;
    public ShipperOptions Delivery { get; init; } = ShipperOptions.Default;
    public TimeSpan StatusInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the running agent asks the engine which key to seal to (a rotated engine key arrives within it).</summary>
    public TimeSpan KeyCheckInterval { get; init; } = TimeSpan.FromMinutes(5);

    /// <summary>Never print the password or token.</summary>
    public override string ToString() => $"AgentConfig(state_dir={StateDir}, servers={string.Join(',', Servers)}, sources={Sources.Count})";
}
