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
    /// fsync each append (default false). Not needed for safety: every batch goes through the spool (write-ahead),
    /// and a source checkpoint only advances after the JetStream PubAck, so a power loss can only lose spooled
    /// batches whose lines were not yet checkpointed — they are read again. The page cache already survives a
    /// process crash (kill -9). Turn it on to make the spool itself survive power loss.
    /// </summary>
    public bool FsyncOnAppend { get; init; }
}
