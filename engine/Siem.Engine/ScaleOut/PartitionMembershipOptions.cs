namespace Siem.Engine.ScaleOut;

/// <summary>How engines find each other to split correlation partitions. Defaults suit a LAN cluster.</summary>
public sealed record PartitionMembershipOptions
{
    public static PartitionMembershipOptions Default { get; } = new();

    /// <summary>KV bucket of engine heartbeats (key = engine id).</summary>
    public string Bucket { get; init; } = "SIEM_ENGINES";
    /// <summary>How often an engine renews its heartbeat and re-evaluates who is alive.</summary>
    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(2);
    /// <summary>An engine not heard from for this long has left; its partitions go to the others. Several heartbeats, so one lost heartbeat does not move partitions.</summary>
    public TimeSpan Lease { get; init; } = TimeSpan.FromSeconds(10);
    /// <summary>Replicas of the bucket (3 on a cluster).</summary>
    public int Replicas { get; init; } = 1;
}
