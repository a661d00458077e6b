namespace Siem.Engine.Pipeline;

/// <summary>How a batch's sequence relates to what the engine already processed for its agent.</summary>
public enum SequenceVerdict
{
    /// <summary>Higher than anything seen from the agent.</summary>
    New,
    /// <summary>Not higher, but stored in the stream before the agent's highest batch: a redelivery or
    /// out-of-order processing (nak, another engine); processed again idempotently.</summary>
    Redelivery,
    /// <summary>Not higher, and stored after the agent's highest batch: someone re-published an old batch.</summary>
    Replay,
}
