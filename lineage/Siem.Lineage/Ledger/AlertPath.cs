namespace Siem.Lineage.Ledger;

/// <summary>
/// The whole path of one alert for <c>siem lineage show</c>: the alert, the stored copies of the records it was built
/// from (those still in the ledger) and every delivery to a channel.
/// </summary>
public sealed record AlertPath(
    LedgerAlert Alert,
    IReadOnlyList<LedgerRecord> Records,
    IReadOnlyList<LedgerDelivery> Deliveries,
    int SubjectCount);
