namespace Siem.Lineage.Purge;

/// <summary>Which streams a JetStream purge covers and how it learns whether a batch was already processed.</summary>
public sealed record JetStreamPurgeOptions
{
    public static JetStreamPurgeOptions Default { get; } = new();

    public string EventsStream { get; init; } = "SIEM_EVENTS";
    public string QuarantineStream { get; init; } = "SIEM_QUARANTINE";
    public string AlertsStream { get; init; } = "SIEM_ALERTS";
    public string LineageStream { get; init; } = "SIEM_LINEAGE";

    /// <summary>(agent id, batch seq) → the engine already indexed this batch (then it is erased, not re-published).</summary>
    public Func<string, ulong, bool>? AlreadyProcessed { get; init; }

    public IEnumerable<string> AllStreams => [EventsStream, QuarantineStream, AlertsStream, LineageStream];
}
