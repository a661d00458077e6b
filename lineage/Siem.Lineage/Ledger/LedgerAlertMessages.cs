namespace Siem.Lineage.Ledger;

/// <summary>What the ledger knows of the alerts-stream messages of a subject's alerts.</summary>
/// <param name="AlertIds">The subject's alerts (linked to it or to its records, or found by value in the index).</param>
/// <param name="Sequences">The stream sequences of every recorded state of those alerts, ascending.</param>
/// <param name="UnnamedAlerts">Alerts among them the ledger cannot name every message of: unknown to it, or with a hop that had no sequence.</param>
/// <param name="FirstNamedSeq">The lowest sequence of the stream any hop ever named; null when none did.</param>
public sealed record LedgerAlertMessages(IReadOnlyList<string> AlertIds, IReadOnlyList<ulong> Sequences, int UnnamedAlerts, ulong? FirstNamedSeq);
