using NodaTime;

namespace Siem.Lineage.Ledger;

/// <summary>
/// One stored copy of a record as the ledger knows it: where it was read (agent, host, source, offset), which agent
/// batch and JetStream message carried it, which engine indexed it where, and when. A record the broker kept twice
/// (an agent retry outside the dedupe window) has one copy per stream message.
/// </summary>
public sealed record LedgerRecord(
    string RecordId,
    string AgentId,
    string? HostName,
    string? SourceKind,
    string? Source,
    long? Offset,
    Instant EventTime,
    ulong BatchSeq,
    string Stream,
    ulong StreamSeq,
    string EngineInstance,
    string Index,
    Instant ReceivedAt,
    Instant IndexedAt);
