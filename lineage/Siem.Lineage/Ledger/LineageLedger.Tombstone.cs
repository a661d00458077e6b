using NodaTime;

namespace Siem.Lineage.Ledger;

public sealed partial class LineageLedger
{
    /// <summary>
    /// Removes a purged subject from the ledger in one transaction and leaves a pseudonymous tombstone: the rows of the
    /// subject's records (optionally only those with event time in [from, to)) and every subject link of those records
    /// (the records are gone from the index), the subject's alert links, and each affected alert's links to the removed
    /// records. An affected alert that still concerns someone else or still has records is redacted (kept); one that is
    /// left with nothing is deleted with its deliveries and the alerts-stream sequences of its messages. Afterwards the WAL is checkpointed and truncated, so with
    /// secure_delete the removed rows are overwritten on disk. Running it again for the same purge removes nothing more
    /// and keeps the first tombstone (a resumed purge is idempotent).
    /// </summary>
    public Task<TombstoneResult> TombstoneSubjectAsync(string subjectId, string purgeId, Instant? from = null, Instant? to = null, Instant? at = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        ArgumentException.ThrowIfNullOrEmpty(purgeId);
        long now = Ticks(at ?? SystemClock.Instance.GetCurrentInstant());
        return LockedAsync(() => WithTransactionCache(() =>
        {
            TombstoneResult result;
            using (var tx = _db.BeginTransaction())
            {
                // The subject's records in scope, then the alerts they (or the subject directly) feed.
                Run(tx, "CREATE TEMP TABLE IF NOT EXISTS purge_records (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.purge_records;");
                Run(tx, "CREATE TEMP TABLE IF NOT EXISTS purge_alerts (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.purge_alerts;");
                using (var pick = Command("INSERT INTO temp.purge_records(id) SELECT record_id FROM record_subjects WHERE subject_id = $s AND event_time >= $from AND event_time < $to", tx))
                {
                    BindSubjectScope(pick, subjectId, from, to);
                    pick.ExecuteNonQuery();
                }
                bool scoped = from != null || to != null;
                // Unscoped: every alert of the subject loses it. Scoped: only alerts built from the purged records.
                Run(tx, "INSERT OR IGNORE INTO temp.purge_alerts(id) SELECT DISTINCT alert_id FROM alert_records WHERE record_id IN (SELECT id FROM temp.purge_records)");
                if (!scoped) Run(tx, "INSERT OR IGNORE INTO temp.purge_alerts(id) SELECT alert_id FROM alert_subjects WHERE subject_id = $s", subjectId);

                int records = Scalar(tx, "SELECT count(*) FROM temp.purge_records");
                int copies = Run(tx, "DELETE FROM records WHERE record_id IN (SELECT id FROM temp.purge_records)");
                Run(tx, "DELETE FROM record_subjects WHERE record_id IN (SELECT id FROM temp.purge_records)");
                Run(tx, "DELETE FROM alert_records WHERE record_id IN (SELECT id FROM temp.purge_records)");
                Run(tx, "DELETE FROM alert_subjects WHERE subject_id = $s AND alert_id IN (SELECT id FROM temp.purge_alerts)", subjectId);
                int affected = Scalar(tx, "SELECT count(*) FROM temp.purge_alerts");
                // An affected alert left with no subject and no record concerns nobody any more: deleted with its deliveries.
                int deliveries = Run(tx, """
                    DELETE FROM deliveries WHERE alert_id IN (SELECT p.id FROM temp.purge_alerts p
                      WHERE NOT EXISTS (SELECT 1 FROM alert_subjects s WHERE s.alert_id = p.id) AND NOT EXISTS (SELECT 1 FROM alert_records r WHERE r.alert_id = p.id))
                    """);
                Run(tx, """
                    DELETE FROM alert_messages WHERE alert_id IN (SELECT p.id FROM temp.purge_alerts p
                      WHERE NOT EXISTS (SELECT 1 FROM alert_subjects s WHERE s.alert_id = p.id) AND NOT EXISTS (SELECT 1 FROM alert_records r WHERE r.alert_id = p.id))
                    """);
                int deleted = Run(tx, """
                    DELETE FROM alerts WHERE alert_id IN (SELECT p.id FROM temp.purge_alerts p
                      WHERE NOT EXISTS (SELECT 1 FROM alert_subjects s WHERE s.alert_id = p.id) AND NOT EXISTS (SELECT 1 FROM alert_records r WHERE r.alert_id = p.id))
                    """);
                int redacted = affected - deleted;
                using (var stone = Command("""
                    INSERT OR IGNORE INTO tombstones(subject_id, purge_id, records, alerts_deleted, alerts_redacted, at) VALUES ($s, $p, $r, $d, $x, $at)
                    """, tx))
                {
                    Bind(stone, ("$s", subjectId), ("$p", purgeId), ("$r", records), ("$d", deleted), ("$x", redacted), ("$at", now));
                    stone.ExecuteNonQuery();
                }
                using var read = Command("SELECT subject_id, purge_id, records, alerts_deleted, alerts_redacted, at FROM tombstones WHERE subject_id = $s AND purge_id = $p", tx);
                Bind(read, ("$s", subjectId), ("$p", purgeId));
                var tombstone = ReadTombstones(read)[0];
                tx.Commit();
                result = new TombstoneResult(copies, records, deleted, redacted, deliveries, tombstone);
            }
            // secure_delete zeroes the freed pages in the database; the WAL still holds the old page images until truncated.
            Run(null, "PRAGMA wal_checkpoint(TRUNCATE)");
            return result;
        }), cancellationToken);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with a page cache large enough for a purge's transaction: the subject's rows are
    /// spread over every page of three B-trees, and a cache that holds all the dirty pages writes each once at commit
    /// instead of spilling (and rewriting) them into the WAL as it goes. The usual size comes back afterwards.
    /// </summary>
    private T WithTransactionCache<T>(Func<T> work)
    {
        long cacheSize;
        using (var get = Command("PRAGMA cache_size", null)) cacheSize = (long)get.ExecuteScalar()!;
        Run(null, "PRAGMA cache_size=-262144");
        try
        {
            return work();
        }
        finally
        {
            Run(null, string.Create(System.Globalization.CultureInfo.InvariantCulture, $"PRAGMA cache_size={cacheSize}"));
        }
    }

    private int Run(Microsoft.Data.Sqlite.SqliteTransaction? tx, string sql, string? subjectId = null)
    {
        using var cmd = Command(sql, tx);
        if (subjectId != null) cmd.Parameters.AddWithValue("$s", subjectId);
        return cmd.ExecuteNonQuery();
    }

    private int Scalar(Microsoft.Data.Sqlite.SqliteTransaction tx, string sql)
    {
        using var cmd = Command(sql, tx);
        return Convert.ToInt32(cmd.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
