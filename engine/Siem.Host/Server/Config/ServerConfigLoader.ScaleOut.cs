using Siem.Engine.ScaleOut;

namespace Siem.Host.Server.Config;

internal static partial class ServerConfigLoader
{
    /// <summary><c>scale_out:</c> — present (and not <c>enabled: false</c>) = correlation windows partitioned across the engines.</summary>
    private static ServerConfig ReadScaleOut(ConfigSection? section, ServerConfig config)
    {
        if (section == null) return config;
        section.OnlyKeys("enabled", "partitions", "partition_mapping", "replicas", "engine_id", "snapshot_interval_ms", "heartbeat_ms", "lease_ms", "contribution_max_age_s");
        if (!section.Bool("enabled", true)) return config;
        var d = ScaleOutOptions.Default;
        var engineId = section.String("engine_id");
        if (engineId != null && (engineId.Length == 0 || engineId.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))))
            throw section.Error("engine_id", "a name from A-Z a-z 0-9 - _, unique per engine process", ConfigSection.Q(engineId));
        var heartbeat = TimeSpan.FromMilliseconds(section.PositiveInt("heartbeat_ms", (long)d.Membership.Heartbeat.TotalMilliseconds, max: 60_000));
        var lease = TimeSpan.FromMilliseconds(section.PositiveInt("lease_ms", (long)d.Membership.Lease.TotalMilliseconds, max: 600_000));
        if (lease < heartbeat * 2) throw section.Error("lease_ms", $"at least twice heartbeat_ms ({heartbeat.TotalMilliseconds:0}), so one lost heartbeat does not move partitions", ConfigSection.Q(lease.TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture)));
        return config with
        {
            ScaleOut = d with
            {
                Partitions = (int)section.PositiveInt("partitions", d.Partitions, max: 1024),
                ServerMapping = section.Choice("partition_mapping", "server", "server", "engine") == "server",
                Replicas = (int)section.PositiveInt("replicas", config.NatsReplicas, max: 5),
                EngineId = engineId,
                SnapshotInterval = TimeSpan.FromMilliseconds(section.PositiveInt("snapshot_interval_ms", (long)d.SnapshotInterval.TotalMilliseconds, max: 600_000)),
                ContributionMaxAge = TimeSpan.FromSeconds(section.PositiveInt("contribution_max_age_s", (long)d.ContributionMaxAge.TotalSeconds, max: 30 * 86400)),
                Membership = d.Membership with { Heartbeat = heartbeat, Lease = lease },
            },
        };
    }
}
