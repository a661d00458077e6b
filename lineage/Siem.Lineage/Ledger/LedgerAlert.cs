using NodaTime;

namespace Siem.Lineage.Ledger;

/// <summary>An alert as the ledger knows it: its rule, where it is stored, when it was first recorded and the records it was built from.</summary>
public sealed record LedgerAlert(string AlertId, string RuleId, string Index, Instant At, IReadOnlyList<string> RecordIds);
