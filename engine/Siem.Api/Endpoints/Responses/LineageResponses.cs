namespace Siem.Api.Endpoints.Responses;

/// <summary>An alert's lineage: the stored copies of its records (at most 200 of records_total) and its deliveries.</summary>
internal sealed record AlertLineageView(LedgerAlertView Alert, IEnumerable<LedgerRecordView> Records, int RecordsTotal,
    IEnumerable<LedgerDeliveryView> Deliveries, int SubjectCount);

internal sealed record RecordLineageView(string RecordId, IEnumerable<LedgerRecordView> Copies, IEnumerable<LedgerAlertView> Alerts,
    IEnumerable<LedgerDeliveryView> Deliveries, int SubjectCount);

/// <summary>What the ledger holds about a data subject (by pseudonym): records, where they are, alerts, earlier purges.</summary>
internal sealed record SubjectLineageView(string SubjectId, int RecordsTotal, IEnumerable<LedgerRecordView> Records,
    IEnumerable<SubjectPlace> Places, IEnumerable<SubjectStream> Streams, IEnumerable<LedgerAlertView> Alerts, IEnumerable<SubjectPurge> Purges);

internal sealed record SubjectPlace(string Index, int Records);

internal sealed record SubjectStream(string Stream, int Messages);

internal sealed record SubjectPurge(string PurgeId, long Records, long AlertsDeleted, long AlertsRedacted, string At);

internal sealed record LedgerAlertView(string AlertId, string RuleId, string Index, string At, IReadOnlyList<string> RecordIds);

internal sealed record LedgerDeliveryView(string AlertId, string Channel, string Outcome, string At, string? DeadLetterId);

/// <summary>One stored copy of a record: where it was read, which batch and stream message carried it, where it was indexed.</summary>
internal sealed record LedgerRecordView(string RecordId, string AgentId, string? HostName, string? SourceKind, string? Source, long? Offset,
    string EventTime, ulong BatchSeq, string Stream, ulong StreamSeq, string Engine, string Index, string ReceivedAt, string IndexedAt);
