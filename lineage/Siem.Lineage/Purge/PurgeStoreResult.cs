namespace Siem.Lineage.Purge;

/// <summary>What one purge step did to one store. Counts only, never values.</summary>
/// <param name="Deleted">Records or documents removed.</param>
/// <param name="Redacted">Documents kept with the subject's parts removed (alerts that also concern others).</param>
/// <param name="Erased">Stream messages erased (overwritten on disk, not just marked deleted).</param>
/// <param name="Rewritten">Messages or files rewritten without the subject (the original erased or replaced).</param>
/// <param name="Shredded">Data keys destroyed (crypto-shredding).</param>
/// <param name="Note">What a person should know (a store that was absent, a skipped part), never a value.</param>
public sealed record PurgeStoreResult(string Store, long Deleted = 0, long Redacted = 0, long Erased = 0, long Rewritten = 0, long Shredded = 0, string? Note = null);
