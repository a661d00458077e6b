namespace Siem.Collectors.Spool;

/// <summary>What the agent does when the spool is full.</summary>
public enum SpoolFullPolicy
{
    /// <summary>Default: stop taking new batches, so the agent stops reading its sources (they resume from their checkpoints). Nothing is lost.</summary>
    Backpressure,
    /// <summary>Delete the oldest segment (its batches are lost and counted in <c>records_dropped</c>) to make room.</summary>
    DropOldest,
}

/// <summary>On-disk spool limits. Defaults: 256 MiB in 8 MiB segments, backpressure when full.</summary>
public sealed record SpoolOptions
{
    public static SpoolOptions Default { get; } = new();

    public long MaxBytes { get; init; } = 256L * 1024 * 1024;
    public long SegmentBytes { get; init; } = 8L * 1024 * 1024;
    public SpoolFullPolicy FullPolicy { get; init; } = SpoolFullPolicy.Backpressure;

    /// <summary>
    /// fsync each append before the batch's source checkpoints advance (default true). With false a power loss
    /// can lose spooled batches whose lines were already checkpointed; a process crash alone cannot.
    /// </summary>
    public bool FsyncOnAppend { get; init; } = true;
}
