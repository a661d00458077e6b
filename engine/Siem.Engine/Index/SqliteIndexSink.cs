using System.Globalization;
using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

/// <summary>
/// The embedded default index: one SQLite file <c>&lt;data&gt;/index.db</c> in WAL mode with <c>secure_delete</c> on.
/// Events are partitioned by UTC day of their timestamp into tables <c>events_YYYYMMDD</c> (each with an FTS5 table
/// <c>events_YYYYMMDD_fts</c> over the message and key fields), so retention is a DROP TABLE and a time-range search
/// only touches the days it covers. A record id always maps to the same day (its timestamp is part of the record), so
/// the per-table UNIQUE record id makes redelivered batches idempotent.
/// Alerts live in one <c>alerts</c> table (upserted by alert id) with <c>alerts_fts</c>.
/// Each <see cref="WriteAsync"/> is one transaction, committed with synchronous=FULL before it returns.
/// <para>
/// Full-text rows are added in bulk, one <c>INSERT ... SELECT</c> per table and write over the rows the write added, not
/// by a per-row trigger: FTS5 flushes its pending terms into a new segment at every statement savepoint, so a trigger
/// made one tiny segment per row and a merge storm (about half the sink's CPU). Deletes and changed alert texts still go
/// through triggers (rare, and the purge needs them exact); an alert upsert that only moves its count and times leaves
/// the full-text index alone.
/// </para>
/// </summary>
public sealed partial class SqliteIndexSink : IIndexSink
{
    /// <summary>Fields whose values go into the full-text "keys" column next to the message.</summary>
    internal static readonly string[] KeyFields =
    [
        EcsFields.UserName, EcsFields.UserTargetName, EcsFields.SourceIp, EcsFields.DestinationIp, EcsFields.HostName,
        EcsFields.ProcessName, EcsFields.ProcessExecutable, EcsFields.ProcessCommandLine, EcsFields.EventAction,
        EcsFields.EventOutcome, EcsFields.GroupName, "file.path", "url.original", "dns.question.name",
        "Image", "CommandLine", "ParentImage", "TargetFilename", "User", "TargetUserName", "IpAddress",
    ];

    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly HashSet<string> _partitions = new(StringComparer.Ordinal);
    private bool _disposed;

    public string DatabasePath { get; }

    private SqliteIndexSink(string path, SqliteConnection writer)
    {
        DatabasePath = path;
        _writer = writer;
    }

    /// <summary>Opens (creating when needed) the index under <paramref name="dataDir"/>.</summary>
    public static SqliteIndexSink Open(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        string path = Path.Combine(dataDir, "index.db");
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        conn.Open();
        // synchronous=FULL, not NORMAL: the engine acks a JetStream message once WriteAsync returns, and under WAL with
        // NORMAL a commit is durable against an app crash but not a power loss (the WAL is synced only at checkpoints),
        // so an acked batch could vanish. FULL syncs the WAL at each commit; its cost is one fsync per write (group).
        Exec(conn, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA busy_timeout=10000;");
        using (var tx = conn.BeginTransaction())
        {
            Exec(conn, tx, """
                CREATE TABLE IF NOT EXISTS alerts (
                  id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL UNIQUE, rule_id TEXT NOT NULL, level TEXT NOT NULL,
                  ts INTEGER NOT NULL, first_seen INTEGER NOT NULL, count INTEGER NOT NULL, agent_id TEXT NOT NULL DEFAULT '',
                  message TEXT NOT NULL, keys TEXT NOT NULL, fields TEXT NOT NULL, doc TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS alerts_ts ON alerts(ts);
                CREATE VIRTUAL TABLE IF NOT EXISTS alerts_fts USING fts5(message, keys, content='alerts', content_rowid='id');
                CREATE TRIGGER IF NOT EXISTS alerts_ad AFTER DELETE ON alerts BEGIN
                  INSERT INTO alerts_fts(alerts_fts, rowid, message, keys) VALUES ('delete', old.id, old.message, old.keys); END;
                DROP TRIGGER IF EXISTS alerts_ai;
                DROP TRIGGER IF EXISTS alerts_au;
                CREATE TRIGGER alerts_au AFTER UPDATE ON alerts WHEN old.message IS NOT new.message OR old.keys IS NOT new.keys BEGIN
                  INSERT INTO alerts_fts(alerts_fts, rowid, message, keys) VALUES ('delete', old.id, old.message, old.keys);
                  INSERT INTO alerts_fts(rowid, message, keys) VALUES (new.id, new.message, new.keys); END;
                INSERT INTO alerts_fts(alerts_fts, rank) VALUES ('secure-delete', 1);
                """);
            // Indexes written before full-text rows were added in bulk had a per-row insert trigger; with it and the bulk
            // insert both, every row would be indexed twice.
            foreach (var t in ListPartitions(conn, tx)) Exec(conn, tx, $"DROP TRIGGER IF EXISTS {t}_ai;");
            tx.Commit();
        }
        var sink = new SqliteIndexSink(path, conn);
        foreach (var t in ListPartitions(conn)) sink._partitions.Add(t);
        return sink;
    }

    public async Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(alerts);
        events = await ProtectAsync(events, cancellationToken).ConfigureAwait(false);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            using var tx = _writer.BeginTransaction();
            var touched = new Dictionary<string, long>(StringComparer.Ordinal);
            var created = new List<string>();
            // The partition's name and insert statement, looked up once per day a write touches, not per event.
            long day = long.MinValue;
            SqliteEventInsert? insert = null;
            foreach (var e in events)
            {
                long eventDay = Math.DivRem(e.Timestamp.ToUnixTimeTicks(), NodaConstants.TicksPerDay, out long rest) - (rest < 0 ? 1 : 0);
                if (insert == null || eventDay != day)
                {
                    string table = PartitionFor(e.Timestamp);
                    if (!touched.ContainsKey(table))
                    {
                        EnsurePartition(table, tx, created);
                        touched[table] = MaxRowId(table, tx);
                    }
                    insert = EventInsert(table);
                    day = eventDay;
                }
                insert.Insert(e);
            }
            // Rows a redelivery skipped (ON CONFLICT DO NOTHING) are not above the mark, so nothing is indexed twice.
            foreach (var (table, before) in touched) IndexNewRows(table, before, tx);
            if (alerts.Count > 0) WriteAlerts(alerts, tx);
            tx.Commit();
            foreach (var t in created) _partitions.Add(t);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0) return 0;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            int deleted = 0;
            using (var tx = _writer.BeginTransaction())
            {
                foreach (var (table, column) in _partitions.Select(p => (p, "record_id")).Append(("alerts", "alert_id")))
                {
                    using var cmd = _writer.CreateCommand();
                    cmd.Transaction = tx;
                    cmd.CommandText = $"DELETE FROM {table} WHERE {column} = $id";
                    var p = cmd.Parameters.Add("$id", SqliteType.Text);
                    foreach (var id in ids)
                    {
                        p.Value = id;
                        deleted += cmd.ExecuteNonQuery();
                    }
                }
                tx.Commit();
            }
            // secure_delete zeroes freed pages in the database; the WAL still holds the old page images until
            // a checkpoint copies and truncates it, so a purge is only complete after this.
            Exec(_writer, "PRAGMA wal_checkpoint(TRUNCATE);");
            return deleted;
        }
        finally
        {
            _writeLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_disposed) return;
            _disposed = true;
            foreach (var statement in _statements.Values) statement.Dispose();
            _statements.Clear();
            foreach (var insert in _inserts.Values) insert.Dispose();
            _inserts.Clear();
            await _writer.DisposeAsync().ConfigureAwait(false);
            _ownedKeys?.Dispose();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    internal static string PartitionFor(Instant ts) =>
        "events_" + ts.InUtc().Date.ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    internal static List<string> ListPartitions(SqliteConnection conn, SqliteTransaction? tx = null)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'events_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' ORDER BY name DESC";
        using var r = cmd.ExecuteReader();
        var list = new List<string>();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private void EnsurePartition(string table, SqliteTransaction tx, List<string> created)
    {
        if (_partitions.Contains(table)) return;
        // An insert prepared for a creation that was rolled back would name a table that is not there.
        if (_inserts.Remove(table, out var stale)) stale.Dispose();
        using var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            CREATE TABLE IF NOT EXISTS {table} (
              id INTEGER PRIMARY KEY, record_id TEXT NOT NULL UNIQUE, ts INTEGER NOT NULL, agent_id TEXT NOT NULL,
              message TEXT NOT NULL, keys TEXT NOT NULL, original TEXT NOT NULL, fields TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS {table}_ts ON {table}(ts);
            CREATE VIRTUAL TABLE IF NOT EXISTS {table}_fts USING fts5(message, keys, content='{table}', content_rowid='id');
            CREATE TRIGGER IF NOT EXISTS {table}_ad AFTER DELETE ON {table} BEGIN
              INSERT INTO {table}_fts({table}_fts, rowid, message, keys) VALUES ('delete', old.id, old.message, old.keys); END;
            INSERT INTO {table}_fts({table}_fts, rank) VALUES ('secure-delete', 1);
            """;
        cmd.ExecuteNonQuery();
        // Remembered only after the commit: a rolled-back creation must run again with the next batch.
        created.Add(table);
    }

    internal static void Exec(SqliteConnection conn, string sql) => Exec(conn, null, sql);

    private static void Exec(SqliteConnection conn, SqliteTransaction? tx, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }
}
