using NodaTime;
using Siem.Nats;

namespace Siem.Host.Server.Config;

/// <summary><c>siem serve</c>'s YAML config after validation (keys documented in deploy/server/siem.yml).</summary>
internal sealed record ServerConfig
{
    /// <summary>Engine key, agent registry, batch sequences, the SQLite index (default), alert delivery log and dead letters, state snapshots.</summary>
    public required string DataDir { get; init; }
    /// <summary>Roles run when <c>--roles</c> is not given.</summary>
    public IReadOnlyList<string> Roles { get; init; } = ["engine"];
    /// <summary>Names this process in logs and lineage (default: the host name).</summary>
    public string Instance { get; init; } = Environment.MachineName;

    public IReadOnlyList<string> NatsServers { get; init; } = ["nats://127.0.0.1:4222"];
    public string? NatsUser { get; init; }
    public string? NatsPassword { get; init; }
    public string? NatsToken { get; init; }
    public string? NatsNKeySeedFile { get; init; }
    public string? NatsTlsCaFile { get; init; }
    public string? NatsTlsCertFile { get; init; }
    public string? NatsTlsKeyFile { get; init; }
    /// <summary>Copies of each stream and bucket siem creates (existing ones keep theirs): 3 on a 3-node cluster.</summary>
    public int NatsReplicas { get; init; } = 1;

    /// <summary>Load our pack (rules/packs next to the installation) in addition to <see cref="RuleDirs"/>.</summary>
    public bool IncludePack { get; init; } = true;
    public IReadOnlyList<string> RuleDirs { get; init; } = [];
    /// <summary>Field-mapping pipeline; null = the pack's default pipeline when the pack is loaded.</summary>
    public string? PipelinePath { get; init; }
    /// <summary>How long correlation windows wait for late events (event time).</summary>
    public Duration AllowedLateness { get; init; } = Duration.FromMinutes(5);

    /// <summary>sqlite or elasticsearch.</summary>
    public string IndexKind { get; init; } = "sqlite";
    public string? SqliteDir { get; init; }
    public Uri? ElasticsearchUrl { get; init; }
    public string? ElasticsearchUsername { get; init; }
    public string? ElasticsearchPassword { get; init; }
    public string? ElasticsearchApiKey { get; init; }

    /// <summary>JSON channels file (see AlertChannelFile); null = channels from the SIEM_* environment variables.</summary>
    public string? AlertChannelsFile { get; init; }
    /// <summary>At most one count update per alert and channel this often (the latest count always follows).</summary>
    public TimeSpan AlertUpdateInterval { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Resolve PagerDuty incidents (and send webhook "resolve") when an alert's suppression window ends; off = only a triage close resolves.</summary>
    public bool AlertResolveOnWindowEnd { get; init; }

    public string Durable { get; init; } = "siem-engine";
    public int BatchSize { get; init; } = 64;
    public int BufferCapacity { get; init; } = 256;
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);
    public Duration SuppressionWindow { get; init; } = Duration.FromMinutes(15);
    /// <summary>Correlation and suppression state is snapshotted this often (data_dir/engine/state); indexed messages are acked after the snapshot that covers them.</summary>
    public TimeSpan StateSnapshotInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>The state snapshot is replaced atomically each time; fsynced at most this often.</summary>
    public TimeSpan StateFsyncInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The engine reports lineage hops even without the lineage role in this process (one runs elsewhere).</summary>
    public bool ReportLineage { get; init; }

    /// <summary>Section <c>scale_out:</c>: correlation windows partitioned across engine replicas; null = kept in this process (one engine).</summary>
    public Siem.Engine.ScaleOut.ScaleOutOptions? ScaleOut { get; init; }

    /// <summary>Tokens agents may enroll with (from an environment variable or a 0600 file); empty = enrollment closed.</summary>
    public IReadOnlyList<string> EnrollmentTokens { get; init; } = [];

    /// <summary>How long an agent's replaced identity key still verifies its batches after <c>siem-agent rotate-key</c>.</summary>
    public TimeSpan AgentKeyGrace { get; init; } = TimeSpan.FromDays(1);

    /// <summary>Top-level sections owned by roles (see <see cref="ServerRoles"/>), validated by the role.</summary>
    public IReadOnlyDictionary<string, ConfigSection> Sections { get; init; } = new Dictionary<string, ConfigSection>();

    public string SourceFile { get; init; } = "";

    public NatsOpts ToNatsOpts(string connectionName) => NatsOpts.Default with
    {
        Servers = NatsServers,
        Name = connectionName,
        Username = NatsUser,
        Password = NatsPassword,
        Token = NatsToken,
        NKeySeedFile = NatsNKeySeedFile,
        TlsCaFile = NatsTlsCaFile,
        TlsCertFile = NatsTlsCertFile,
        TlsKeyFile = NatsTlsKeyFile,
    };

    /// <summary>Never prints passwords, tokens or keys.</summary>
    public override string ToString() =>
        $"ServerConfig(file={SourceFile}, data_dir={DataDir}, nats={string.Join(',', NatsServers)}, index={IndexKind}, roles={string.Join(',', Roles)}, enrollment_tokens={EnrollmentTokens.Count})";
}
