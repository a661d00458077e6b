using NodaTime;

namespace Siem.Engine.Pipeline;

/// <summary>How the engine consumes, batches, quarantines and alerts. Defaults suit one machine.</summary>
public sealed record EngineOptions
{
    public static EngineOptions Default { get; } = new();

    public string Stream { get; init; } = "SIEM_EVENTS";
    /// <summary>Durable consumer name; engines sharing it share the work (work-queue stream).</summary>
    public string Durable { get; init; } = "siem-engine";
    public string FilterSubject { get; init; } = "siem.events.>";
    /// <summary>Messages requested per pull and the most messages processed as one index transaction.</summary>
    public int BatchSize { get; init; } = 64;
    /// <summary>A group is also cut when its messages reach this many bytes (agent batches are up to 512 KiB each), so one
    /// index transaction stays seconds, not minutes, long. 4 MiB (about 6,000 events): a group's decoded events stay
    /// alive through detection and indexing, and with 8 MiB every garbage collection copied twice as many of them (CPU
    /// per event about 15 % higher in the stage harness; one more fsync per group is cheap next to it).</summary>
    public long MaxGroupBytes { get; init; } = 4L * 1024 * 1024;
    /// <summary>Messages buffered between the pull and the processor. Full = the pull waits (backpressure); nothing is dropped.</summary>
    public int BufferCapacity { get; init; } = 256;
    /// <summary>Bytes (encrypted message bodies, about the size of the records they decode to) buffered between the pull and
    /// the processor: the pull also waits when this much is buffered, so memory stays bounded however large agent batches are.</summary>
    public long MaxBufferedBytes { get; init; } = 32L * 1024 * 1024;
    public TimeSpan AckWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Delay before a message whose processing failed (index down) is redelivered.</summary>
    public TimeSpan NakDelay { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>After a stop request, how long the group in flight may take to be written and acked before it is abandoned (then redelivered).</summary>
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(20);
    public string QuarantineSubjectPrefix { get; init; } = "siem.quarantine";
    public string AlertSubjectPrefix { get; init; } = "siem.alerts";
    /// <summary>Repeats of a rule for the same group key within this time (event time, from the alert's first match) fold into one alert.</summary>
    public Duration SuppressionWindow { get; init; } = Duration.FromMinutes(15);
    /// <summary>Purged subjects: their records still in flight are dropped on arrival (counted in
    /// <see cref="EngineStats.PurgeDropped"/>) before detection and indexing. Null = no purges to honour.</summary>
    public Siem.Lineage.Purge.ForwardFilter? ForwardFilter { get; init; }
    /// <summary>Where open correlation windows and suppressed alerts are kept across restarts; null = not kept (a restart forgets them).</summary>
    public string? StateDir { get; init; }
    /// <summary>How often the open windows and alerts are snapshotted to <see cref="StateDir"/>. Indexed messages are acked
    /// only after the snapshot that covers them, so this is also how long an ack may wait (alerts do not wait for it).
    /// A slow snapshot (large state, loaded machine) stretches it, up to 2 min, so snapshots stay ~5 % of the engine's time.</summary>
    public TimeSpan StateSnapshotInterval { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>A snapshot is also taken when this many indexed messages wait for their ack (they count against the consumer's MaxAckPending).</summary>
    public int MaxMessagesAwaitingSnapshot { get; init; } = 512;
    /// <summary>How often the state snapshot is fsynced (it is replaced atomically at every snapshot either way).</summary>
    public TimeSpan StateFsyncInterval { get; init; } = TimeSpan.FromSeconds(5);
    /// <summary>Diagnostics (never secrets); null = quiet.</summary>
    public TextWriter? Log { get; init; }
}
