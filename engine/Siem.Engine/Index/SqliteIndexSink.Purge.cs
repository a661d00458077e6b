using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

/// <summary>
/// Purge support. Deleted rows are zeroed in the file (<c>secure_delete</c>), the FTS5 tables were created with their
/// <c>secure-delete</c> option so deleted tokens leave the index segments at once (not at the next merge), and
/// <see cref="CompactAsync"/> checkpoints the WAL with TRUNCATE, since the WAL holds old page images until then.
/// Every day partition is covered.
/// </summary>
public sealed partial class SqliteIndexSink : IIndexPurge
{
    public async Task<IReadOnlyList<string>> FindRecordIdsAsync(IReadOnlyCollection<string> knownIds, string? value, Func<string, bool>? confirm, Instant? from, Instant? to, bool scanAll = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(knownIds);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var found = new HashSet<string>(StringComparer.Ordinal);
            SyncPartitions();
            // One read transaction (one snapshot, and the id list filled in one go rather than a commit per id).
            using var memory = PurgeMemory.Enter(_writer);
            using var tx = _writer.BeginTransaction();
            FillPurgeIds(knownIds, tx);
            foreach (var table in _partitions)
            {
                cancellationToken.ThrowIfCancellationRequested();
                using (var byId = _writer.CreateCommand())
                {
                    byId.Transaction = tx;
                    // CROSS JOIN keeps the id list outside: one seek in the record_id index per id, never a scan of the partition.
                    byId.CommandText = $"SELECT e.record_id FROM temp.purge_ids p CROSS JOIN {table} e ON e.record_id = p.id WHERE e.ts >= $from AND e.ts < $to";
                    BindScope(byId, from, to);
                    using var r = byId.ExecuteReader();
                    while (r.Read()) found.Add(r.GetString(0));
                }
                if (string.IsNullOrEmpty(value)) continue;
                using var byValue = _writer.CreateCommand();
                byValue.Transaction = tx;
                if (scanAll)
                {
                    byValue.CommandText = $"SELECT record_id, original, fields FROM {table} WHERE (original LIKE $p ESCAPE '\\' OR fields LIKE $p ESCAPE '\\') AND ts >= $from AND ts < $to";
                    byValue.Parameters.AddWithValue("$p", "%" + EscapeLike(value) + "%");
                }
                else
                {
                    // The full-text index over message and key fields: the value's tokens as a phrase.
                    byValue.CommandText = $"SELECT e.record_id, e.original, e.fields FROM {table}_fts f JOIN {table} e ON e.id = f.rowid WHERE {table}_fts MATCH $p AND e.ts >= $from AND e.ts < $to";
                    byValue.Parameters.AddWithValue("$p", "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"");
                }
                BindScope(byValue, from, to);
                using var rv = byValue.ExecuteReader();
                while (rv.Read())
                {
                    if (confirm == null || confirm(rv.GetString(1)) || confirm(rv.GetString(2))) found.Add(rv.GetString(0));
                }
            }
            tx.Commit();
            return [.. found.Order(StringComparer.Ordinal)];
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Day partitions another process (the engine, when a separate API process purges) created since this one opened.</summary>
    private void SyncPartitions()
    {
        foreach (var t in ListPartitions(_writer)) _partitions.Add(t);
    }

    public async Task<int> DeleteRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        if (recordIds.Count == 0) return 0;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int deleted = 0;
            SyncPartitions();
            using var memory = PurgeMemory.Enter(_writer);
            using var tx = _writer.BeginTransaction();
            FillPurgeIds(recordIds, tx);
            foreach (var table in _partitions)
            {
                using var count = _writer.CreateCommand();
                count.Transaction = tx;
                count.CommandText = $"SELECT count(*) FROM temp.purge_ids p CROSS JOIN {table} e ON e.record_id = p.id";
                if ((long)count.ExecuteScalar()! == 0) continue;
                // FTS5 secure-delete rewrites the doclist page of every token of every deleted row (slow when the rows
                // share common words); plain deletes followed by 'optimize' (all segments merged into one, deleted
                // entries dropped) remove the same tokens for good at a fraction of the cost. One transaction: a crash
                // leaves the partition as it was, secure-delete still on.
                using var cmd = _writer.CreateCommand();
                cmd.Transaction = tx;
                cmd.CommandText = $"INSERT INTO {table}_fts({table}_fts, rank) VALUES ('secure-delete', 0)";
                cmd.ExecuteNonQuery();
                cmd.CommandText = $"DELETE FROM {table} WHERE id IN (SELECT e.id FROM temp.purge_ids p CROSS JOIN {table} e ON e.record_id = p.id)";
                deleted += cmd.ExecuteNonQuery();
                cmd.CommandText = $"""
                    INSERT INTO {table}_fts({table}_fts) VALUES ('optimize');
                    INSERT INTO {table}_fts({table}_fts, rank) VALUES ('secure-delete', 1);
                    """;
                cmd.ExecuteNonQuery();
            }
            tx.Commit();
            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>The alerts table is small next to the events and local: its documents are read in order and filtered
    /// here (ids, record ids, the value as a case-insensitive substring of the alert's texts).</summary>
    public async Task<IReadOnlyList<AlertDocument>> FindAlertsAsync(IReadOnlyCollection<string> alertIds, IReadOnlyCollection<string> recordIds, string? value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        ArgumentNullException.ThrowIfNull(recordIds);
        var ids = alertIds as IReadOnlySet<string> ?? new HashSet<string>(alertIds, StringComparer.Ordinal);
        var records = recordIds as IReadOnlySet<string> ?? new HashSet<string>(recordIds, StringComparer.Ordinal);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var cmd = _writer.CreateCommand();
            cmd.CommandText = "SELECT doc FROM alerts ORDER BY id";
            using var r = cmd.ExecuteReader();
            var list = new List<AlertDocument>();
            while (r.Read())
            {
                var alert = AlertJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(r.GetString(0)));
                if (ids.Contains(alert.AlertId) || alert.RecordIds.Any(records.Contains)
                    || (!string.IsNullOrEmpty(value) && AlertTexts.Of(alert).Any(v => v.Contains(value, StringComparison.OrdinalIgnoreCase))))
                    list.Add(alert);
            }
            return list;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task RewriteAlertsAsync(IReadOnlyList<AlertDocument> redacted, IReadOnlyCollection<string> deleteIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redacted);
        ArgumentNullException.ThrowIfNull(deleteIds);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction();
            if (redacted.Count > 0) WriteAlerts(redacted, tx);
            using (var del = _writer.CreateCommand())
            {
                del.Transaction = tx;
                del.CommandText = "DELETE FROM alerts WHERE alert_id = $id";
                var p = del.Parameters.Add("$id", SqliteType.Text);
                foreach (var id in deleteIds)
                {
                    p.Value = id;
                    del.ExecuteNonQuery();
                }
            }
            tx.Commit();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task CompactAsync(CancellationToken cancellationToken = default)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void FillPurgeIds(IEnumerable<string> ids, SqliteTransaction? tx = null)
    {
        using (var create = _writer.CreateCommand())
        {
            create.Transaction = tx;
            create.CommandText = "CREATE TEMP TABLE IF NOT EXISTS purge_ids (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.purge_ids;";
            create.ExecuteNonQuery();
        }
        using var insert = _writer.CreateCommand();
        insert.Transaction = tx;
        insert.CommandText = "INSERT OR IGNORE INTO temp.purge_ids(id) VALUES ($id)";
        var p = insert.Parameters.Add("$id", SqliteType.Text);
        foreach (var id in ids)
        {
            p.Value = id;
            insert.ExecuteNonQuery();
        }
    }

    /// <summary>
    /// For the length of a purge's lookup or delete: a page cache large enough to hold the transaction's dirty pages, and temp
    /// structures in memory. With the defaults (2 MB cache, temp files) the FTS merge spills pages to the WAL again and
    /// again and sorts through temp files: measured at 1M events, 780 MB written for the index step instead of 186 MB,
    /// all of it fsynced and then checkpointed. The connection's settings come back afterwards (temp_store changes drop
    /// temp tables, so it is set before the purge's own temp table is filled).
    /// </summary>
    private sealed class PurgeMemory : IDisposable
    {
        private readonly SqliteConnection _db;
        private readonly long _cacheSize, _tempStore;

        private PurgeMemory(SqliteConnection db)
        {
            _db = db;
            _cacheSize = Pragma(db, "cache_size");
            _tempStore = Pragma(db, "temp_store");
            Exec(db, "PRAGMA cache_size=-131072; PRAGMA temp_store=MEMORY;");
        }

        public static PurgeMemory Enter(SqliteConnection db) => new(db);

        public void Dispose() => Exec(_db, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA cache_size={_cacheSize}; PRAGMA temp_store={_tempStore};"));

        private static long Pragma(SqliteConnection db, string name)
        {
            using var cmd = db.CreateCommand();
            cmd.CommandText = "PRAGMA " + name;
            return (long)cmd.ExecuteScalar()!;
        }
    }

    private static void BindScope(SqliteCommand cmd, Instant? from, Instant? to)
    {
        cmd.Parameters.AddWithValue("$from", from?.ToUnixTimeTicks() ?? long.MinValue);
        cmd.Parameters.AddWithValue("$to", to?.ToUnixTimeTicks() ?? long.MaxValue);
    }

    private static string EscapeLike(string value) => value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal);
}
