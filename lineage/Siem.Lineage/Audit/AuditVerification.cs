namespace Siem.Lineage.Audit;

/// <summary>Result of <see cref="AuditLog.VerifyAsync"/>: the chain is intact, or where it first breaks and why.</summary>
/// <param name="Entries">Lines read that verified (the prefix before the break).</param>
/// <param name="FirstBrokenSeq">The sequence number the broken line claims (or the expected one when it is unreadable); null when intact.</param>
/// <param name="FirstBrokenLine">1-based line number in the file; null when intact.</param>
/// <param name="Problem">What is wrong with that line, for a person.</param>
public sealed record AuditVerification(bool Intact, long Entries, long? FirstBrokenSeq, long? FirstBrokenLine, string? Problem, string? LastHash);
