namespace Siem.Lineage.Ledger;

/// <summary>
/// One JetStream message (one agent batch) and every record the ledger knows it carried. A purge erases the message
/// when all of <see cref="RecordIds"/> belong to the subject, and re-publishes it without them otherwise.
/// </summary>
public sealed record StreamMessage(string Stream, ulong StreamSeq, string AgentId, ulong BatchSeq, IReadOnlyList<string> RecordIds);
