using NodaTime;

namespace Siem.Lineage.Ledger;

/// <summary>One delivery of an alert to a channel: delivered, failed or dead_lettered (then <see cref="DeadLetterId"/> says where it is kept).</summary>
public sealed record LedgerDelivery(string AlertId, string Channel, string Outcome, Instant At, string? DeadLetterId);
