using NodaTime;

namespace Siem.Lineage.Audit;

/// <summary>
/// One line of the audit log. <see cref="Hash"/> = SHA-256 (hex) over the canonical JSON of every other field,
/// <see cref="PrevHash"/> is the previous line's hash (64 zeros for the first line), so changing, removing or
/// reordering a line breaks the chain from there on. Details never hold a data subject's raw value: purges
/// name subjects by their pseudonymous id only.
/// </summary>
/// <param name="Action">What happened, dotted: <c>purge.requested</c>, <c>purge.approved</c>, <c>purge.certified</c>...</param>
/// <param name="Target">What it happened to, e.g. <c>purge/&lt;job id&gt;</c>.</param>
public sealed record AuditEntry(
    long Seq,
    Instant Time,
    string Actor,
    string Action,
    string Target,
    IReadOnlyDictionary<string, string> Details,
    string PrevHash,
    string Hash);
