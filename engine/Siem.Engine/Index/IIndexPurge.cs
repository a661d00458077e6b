using NodaTime;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

/// <summary>
/// What a right-to-be-forgotten purge needs from an index (see <c>Siem.Engine.Purge.IndexPurgeTarget</c>): find a
/// subject's records by id and by value, delete them for real, find and rewrite the subject's alerts, and make deletions final on disk.
/// </summary>
public interface IIndexPurge
{
    /// <summary>Record ids stored in the index that are among <paramref name="knownIds"/>, or whose original line or
    /// fields contain <paramref name="value"/> (case-insensitive) and pass <paramref name="confirm"/> (a whole-token
    /// check), within the event-time scope. <paramref name="scanAll"/> false = only the full-text index is consulted for
    /// the value (fast; for verification, where the byte scan of the files is the complete check).</summary>
    Task<IReadOnlyList<string>> FindRecordIdsAsync(IReadOnlyCollection<string> knownIds, string? value, Func<string, bool>? confirm, Instant? from, Instant? to, bool scanAll = true, CancellationToken cancellationToken = default);

    /// <summary>Deletes these events (and their full-text rows); returns how many were stored.</summary>
    Task<int> DeleteRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default);

    /// <summary>The alerts that may concern a subject: among <paramref name="alertIds"/>, naming one of
    /// <paramref name="recordIds"/>, or holding <paramref name="value"/> (case-insensitive) in a group-by or key field
    /// value, the title or the description. A superset the caller confirms; other people's alerts are not read where the
    /// store can be asked by query (Elasticsearch).</summary>
    Task<IReadOnlyList<AlertDocument>> FindAlertsAsync(IReadOnlyCollection<string> alertIds, IReadOnlyCollection<string> recordIds, string? value, CancellationToken cancellationToken = default);

    /// <summary>Replaces <paramref name="redacted"/> alerts (same ids) and deletes <paramref name="deleteIds"/>, in one go.</summary>
    Task RewriteAlertsAsync(IReadOnlyList<AlertDocument> redacted, IReadOnlyCollection<string> deleteIds, CancellationToken cancellationToken = default);

    /// <summary>Makes deletions final on disk (SQLite: WAL checkpointed and truncated; Elasticsearch: refresh + expunge deletes).</summary>
    Task CompactAsync(CancellationToken cancellationToken = default);
}
