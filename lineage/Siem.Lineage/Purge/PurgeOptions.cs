namespace Siem.Lineage.Purge;

/// <summary>How purges are run on this data dir.</summary>
public sealed record PurgeOptions
{
    public static PurgeOptions Default { get; } = new();

    /// <summary>Approvals needed before a purge runs (the two-person rule: 1 = someone other than the requester must approve). 0 = runs at once.</summary>
    public int ApprovalsRequired { get; init; }

    /// <summary>Called after the purge steps and before the byte scan: stop or checkpoint what holds files open
    /// (the private nats-server), so the scan sees what is really on disk.</summary>
    public Func<CancellationToken, Task>? BeforeByteScanAsync { get; init; }

    /// <summary>Progress lines for a person (never a value); null = quiet.</summary>
    public Action<string>? Log { get; init; }

    /// <summary>Tests: stop (throw) right after this step completed and was saved, as a crash would.</summary>
    internal string? StopAfterStep { get; init; }
}
