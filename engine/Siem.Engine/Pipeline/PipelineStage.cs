namespace Siem.Engine.Pipeline;

/// <summary>Parts of the engine's work whose CPU time <see cref="StageCpu"/> adds up.</summary>
public enum PipelineStage
{
    /// <summary>Verify, decrypt and decode (per message, on the opener task ahead of the loop), and the batch sequence check (on the loop).</summary>
    Open,
    /// <summary>Detection and correlation rules over every event.</summary>
    Detect,
    /// <summary>Folding hits into open alerts (suppression).</summary>
    Fold,
    /// <summary>The index transaction (events and alerts).</summary>
    Index,
    /// <summary>Serialising and sending alerts to the alerts stream (not the wait for their PubAcks).</summary>
    Publish,
    /// <summary>Persisting the batch sequences of indexed messages.</summary>
    Sequences,
    /// <summary>Copying the state for a snapshot, on the processing loop.</summary>
    SnapshotCapture,
    /// <summary>Serialising and writing the snapshot, in the background.</summary>
    SnapshotWrite,
}
