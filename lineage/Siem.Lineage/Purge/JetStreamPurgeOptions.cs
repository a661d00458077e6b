namespace Siem.Lineage.Purge;

/// <summary>Which streams a JetStream purge covers and how it learns whether a batch was already processed.</summary>
public sealed record JetStreamPurgeOptions
{
    public static JetStreamPurgeOptions Default { get; } = new();

    public string EventsStream { get; init; } = "SIEM_EVENTS";
    public string QuarantineStream { get; init; } = "SIEM_QUARANTINE";
    public string AlertsStream { get; init; } = "SIEM_ALERTS";
    public string LineageStream { get; init; } = "SIEM_LINEAGE";

    /// <summary>
    /// Names the stream messages of the subject's alerts, so the purge fetches those from <see cref="AlertsStream"/> by
    /// sequence instead of reading all of it (it falls back to reading all when the ledger cannot name every one).
    /// Null: the alerts stream is read whole. The verification always reads every stream whole.
    /// </summary>
    public Ledger.LineageLedger? Ledger { get; init; }

    /// <summary>Subjects of the alerts stream no lineage hop names (alert resolution notices): read through a filter when the rest is fetched by sequence.</summary>
    public string AlertNoticeSubjects { get; init; } = "siem.alerts.resolved.>";

    /// <summary>(agent id, batch seq) → the engine already indexed this batch (then it is erased, not re-published).</summary>
    public Func<string, ulong, bool>? AlreadyProcessed { get; init; }

    public IEnumerable<string> AllStreams => [EventsStream, QuarantineStream, AlertsStream, LineageStream];
}
