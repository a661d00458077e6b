using NodaTime;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

/// <summary>
/// What a right-to-be-forgotten purge needs from an index (see <c>Siem.Engine.Purge.IndexPurgeTarget</c>): find a
/// subject's records by id and by value, delete them for real, read and rewrite alerts, and make deletions final on disk.
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

    Task<IReadOnlyList<AlertDocument>> ReadAlertsAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces <paramref name="redacted"/> alerts (same ids) and deletes <paramref name="deleteIds"/>, in one go.</summary>
    Task RewriteAlertsAsync(IReadOnlyList<AlertDocument> redacted, IReadOnlyCollection<string> deleteIds, CancellationToken cancellationToken = default);

    /// <summary>Makes deletions final on disk (SQLite: WAL checkpointed and truncated; Elasticsearch: refresh + expunge deletes).</summary>
    Task CompactAsync(CancellationToken cancellationToken = default);
}
