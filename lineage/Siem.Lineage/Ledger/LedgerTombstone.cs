using NodaTime;

namespace Siem.Lineage.Ledger;

/// <summary>
/// What remains of a purged subject in the ledger: its pseudonymous id, the purge that removed it and how much the
/// ledger removed (records, alerts deleted, alerts that also concerned others and only lost this subject).
/// </summary>
public sealed record LedgerTombstone(string SubjectId, string PurgeId, long Records, long AlertsDeleted, long AlertsRedacted, Instant At);
