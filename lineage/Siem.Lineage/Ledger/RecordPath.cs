namespace Siem.Lineage.Ledger;

/// <summary>
/// The whole path of one record for <c>siem lineage show</c>: every stored copy (source → agent batch → stream/seq →
/// engine → index), the alerts derived from it and where each was delivered. <see cref="SubjectCount"/> says how many
/// subjects it concerns (their ids are pseudonyms, not shown).
/// </summary>
public sealed record RecordPath(
    string RecordId,
    IReadOnlyList<LedgerRecord> Copies,
    IReadOnlyList<LedgerAlert> Alerts,
    IReadOnlyList<LedgerDelivery> Deliveries,
    int SubjectCount);
