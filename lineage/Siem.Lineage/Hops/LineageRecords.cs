using NodaTime;

namespace Siem.Lineage.Hops;

/// <summary>
/// Where one record came from and which subjects it concerns. Subject ids are keyed pseudonyms
/// (HMAC-SHA256 under the lineage secret key); the raw identifier values never enter the lineage.
/// </summary>
/// <param name="SourceKind">file, syslog, journald or stdin.</param>
/// <param name="Source">The file path, or the syslog peer address, or the journald cursor.</param>
/// <param name="Offset">Byte offset of the line in the file, when the source is a file.</param>
public sealed record RecordLineage(
    string RecordId,
    string? HostName,
    string? SourceKind,
    string? Source,
    long? Offset,
    Instant EventTime,
    IReadOnlyList<string> SubjectIds);

/// <summary>
/// One JetStream message (one agent batch) as the engine processed it: the hops every record in it shares
/// (agent batch → stream/sequence → engine instance → index) plus the records themselves.
/// Published on <c>siem.lineage.batch</c> before the engine acks the message, so a record is never
/// indexed without its lineage.
/// </summary>
public sealed record BatchLineage(
    string AgentId,
    ulong BatchSeq,
    string Stream,
    ulong StreamSeq,
    string EngineInstance,
    string Index,
    Instant ReceivedAt,
    Instant IndexedAt,
    IReadOnlyList<RecordLineage> Records);

/// <summary>
/// An alert derived from records (published on <c>siem.lineage.alert</c>): which records it was built from,
/// which subjects it concerns, where it was stored, and the alerts-stream message this state of it was published as.
/// </summary>
/// <param name="Stream">The stream the alert was published to (SIEM_ALERTS); null when it was not published, or the hop
/// comes from an engine before alert sequences were recorded: a purge then cannot fetch the alert's messages by
/// sequence and scans the stream.</param>
/// <param name="StreamSeq">The stream sequence of that message (from the PubAck); null with <paramref name="Stream"/>.</param>
public sealed record AlertLineage(
    string AlertId,
    string RuleId,
    IReadOnlyList<string> RecordIds,
    IReadOnlyList<string> SubjectIds,
    string Index,
    Instant At,
    string? Stream = null,
    ulong? StreamSeq = null);

/// <summary>An alert delivered (or dead-lettered) to a channel (published on <c>siem.lineage.delivery</c>).</summary>
/// <param name="Outcome">delivered, failed or dead_lettered.</param>
/// <param name="DeadLetterId">Where the undeliverable alert was kept, when it was dead-lettered.</param>
public sealed record DeliveryLineage(
    string AlertId,
    string Channel,
    string Outcome,
    Instant At,
    string? DeadLetterId);

/// <summary>Where the engine sends lineage hops (JetStream in a deployment; the ledger directly in tests).</summary>
public interface ILineageRecorder
{
    ValueTask RecordBatchAsync(BatchLineage batch, CancellationToken cancellationToken = default);

    ValueTask RecordAlertsAsync(IReadOnlyList<AlertLineage> alerts, CancellationToken cancellationToken = default);

    ValueTask RecordDeliveryAsync(DeliveryLineage delivery, CancellationToken cancellationToken = default);
}
