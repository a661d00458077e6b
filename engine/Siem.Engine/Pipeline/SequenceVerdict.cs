namespace Siem.Engine.Pipeline;

/// <summary>How a batch's sequence relates to what the engine already processed for its agent.</summary>
public enum SequenceVerdict
{
    /// <summary>Higher than anything seen from the agent, or a lower batch never processed (a late retry).</summary>
    New,
    /// <summary>Not higher, but stored in the stream before the agent's highest batch: a redelivery or
    /// out-of-order processing (nak, another engine); processed again idempotently.</summary>
    Redelivery,
    /// <summary>Already processed from another stream message, or older than the tracker's window: someone
    /// re-published an old batch.</summary>
    Replay,
}
