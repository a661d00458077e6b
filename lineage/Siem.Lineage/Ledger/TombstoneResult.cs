namespace Siem.Lineage.Ledger;

/// <summary>
/// What <see cref="LineageLedger.TombstoneSubjectAsync"/> removed in this call (zero everywhere when a resumed purge
/// runs it again) and the tombstone that stays (the first one written for this subject and purge).
/// </summary>
/// <param name="RecordCopies">Record rows removed (one per stored copy).</param>
/// <param name="AlertsDeleted">Alerts that concerned nobody else any more, removed with their deliveries.</param>
/// <param name="AlertsRedacted">Alerts that also concern other subjects: only this subject's links and records were removed.</param>
public sealed record TombstoneResult(int RecordCopies, int Records, int AlertsDeleted, int AlertsRedacted, int Deliveries, LedgerTombstone Tombstone);
