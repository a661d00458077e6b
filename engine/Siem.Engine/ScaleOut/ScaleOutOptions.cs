namespace Siem.Engine.ScaleOut;

/// <summary>Correlation state partitioned across engine replicas (issue #8). Defaults suit a LAN cluster of a few engines.</summary>
public sealed record ScaleOutOptions
{
    public static ScaleOutOptions Default { get; } = new();

    /// <summary>Correlation partitions. Every engine and the nats-server mapping must use the same number; more than engines, so they spread.</summary>
    public int Partitions { get; init; } = 16;

    /// <summary>This engine's name among its peers; unique per running process. Null = host name + process id.</summary>
    public string? EngineId { get; init; }

    /// <summary>True: nats-server maps <c>siem.corr.in.*.*</c> to partitions (<see cref="CorrelationSubjects.ServerMapping"/>; checked at start).
    /// False: the engine computes the same partition itself and publishes on the partition subject.</summary>
    public bool ServerMapping { get; init; } = true;

    /// <summary>Replicas of the SIEM_CORR stream and the state and membership buckets (3 on a 3-node cluster).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>How often a partition's state is saved (its windows are rebuilt from the last save plus a replay of what followed).</summary>
    public TimeSpan SnapshotInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long contributions stay in SIEM_CORR: longer than any partition may go without a saved snapshot.</summary>
    public TimeSpan ContributionMaxAge { get; init; } = TimeSpan.FromHours(1);

    /// <summary>KV bucket of partition snapshots (key <c>p&lt;n&gt;</c>).</summary>
    public string StateBucket { get; init; } = "SIEM_CORR_STATE";

    /// <summary>Heartbeats and lease of the engines that split the partitions.</summary>
    public PartitionMembershipOptions Membership { get; init; } = PartitionMembershipOptions.Default;

    /// <summary>How often the engine tells every partition how far event time has come (only while a correlation decided at window close is loaded).</summary>
    public TimeSpan WatermarkInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Contributions fetched per pull of one partition.</summary>
    public int FetchBatch { get; init; } = 256;
}
