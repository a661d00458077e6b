using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Lineage.Hops;

namespace Siem.Lineage.Ledger;

/// <summary>
/// The lineage ledger: one SQLite file (<see cref="LineagePaths.Ledger"/>, WAL, synchronous=FULL, secure_delete=ON)
/// holding every record's path, the subject index (pseudonymous subject id → records and alerts), the alerts and their
/// deliveries, and the tombstones purges leave. It never holds an identifier value, only subject ids.
/// Every write is idempotent (a redelivered hop records nothing twice). It is also the in-process
/// <see cref="ILineageRecorder"/> (tests, one process); deployments send hops over JetStream to a
/// <see cref="LedgerConsumer"/> that writes here. One connection, serialised: safe to share between threads.
/// </summary>
public sealed partial class LineageLedger : ILineageRecorder, IAsyncDisposable, IDisposable
{
    private readonly SqliteConnection _db;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private bool _disposed;

    private LineageLedger(string path, SqliteConnection db)
    {
        DatabasePath = path;
        _db = db;
    }

    public string DatabasePath { get; }

    /// <summary>Opens (creating when needed) the ledger under <paramref name="dataDir"/>.</summary>
    public static LineageLedger Open(string dataDir) => OpenFile(LineagePaths.Ledger(dataDir));

    public static LineageLedger OpenFile(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        if (!File.Exists(path) && !OperatingSystem.IsWindows())
        {
            // Created 0600 before SQLite writes a byte: the ledger says who did what, even if only pseudonymously.
            using (new FileStream(path, new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite })) { }
        }
        var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        try
        {
            db.Open();
            // A large page cache: the subject index takes inserts all over its B-tree (one subject per person), which the
            // default 2 MB cache turns into a page fetch per row at a million records.
            Exec(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA secure_delete=ON; PRAGMA busy_timeout=10000; PRAGMA cache_size=-65536; PRAGMA mmap_size=268435456; PRAGMA temp_store=MEMORY;");
            Exec(db, Schema);
            AddAlertSequences(db);
        }
        catch
        {
            db.Dispose();
            throw;
        }
        return new LineageLedger(path, db);
    }

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS records (
          record_id TEXT NOT NULL, stream TEXT NOT NULL, stream_seq INTEGER NOT NULL,
          agent_id TEXT NOT NULL, batch_seq INTEGER NOT NULL, host_name TEXT, source_kind TEXT, source TEXT, src_offset INTEGER,
          event_time INTEGER NOT NULL, engine TEXT NOT NULL, idx TEXT NOT NULL, received_at INTEGER NOT NULL, indexed_at INTEGER NOT NULL,
          PRIMARY KEY (record_id, stream, stream_seq)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS records_message ON records(stream, stream_seq);
        CREATE TABLE IF NOT EXISTS record_subjects (
          subject_id TEXT NOT NULL, record_id TEXT NOT NULL, event_time INTEGER NOT NULL,
          PRIMARY KEY (subject_id, record_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS record_subjects_record ON record_subjects(record_id);
        CREATE TABLE IF NOT EXISTS alerts (
          alert_id TEXT NOT NULL PRIMARY KEY, rule_id TEXT NOT NULL, idx TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alert_records (
          alert_id TEXT NOT NULL, record_id TEXT NOT NULL, PRIMARY KEY (alert_id, record_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS alert_records_record ON alert_records(record_id);
        CREATE TABLE IF NOT EXISTS alert_subjects (
          subject_id TEXT NOT NULL, alert_id TEXT NOT NULL, PRIMARY KEY (subject_id, alert_id)) WITHOUT ROWID;
        CREATE INDEX IF NOT EXISTS alert_subjects_alert ON alert_subjects(alert_id);
        CREATE TABLE IF NOT EXISTS deliveries (
          alert_id TEXT NOT NULL, channel TEXT NOT NULL, outcome TEXT NOT NULL, at INTEGER NOT NULL, dead_letter_id TEXT,
          PRIMARY KEY (alert_id, channel, at, outcome)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS tombstones (
          subject_id TEXT NOT NULL, purge_id TEXT NOT NULL, records INTEGER NOT NULL, alerts_deleted INTEGER NOT NULL,
          alerts_redacted INTEGER NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (subject_id, purge_id)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS alert_messages (
          alert_id TEXT NOT NULL, stream TEXT NOT NULL, stream_seq INTEGER NOT NULL,
          PRIMARY KEY (alert_id, stream, stream_seq)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS stream_coverage (stream TEXT NOT NULL PRIMARY KEY, first_seq INTEGER NOT NULL) WITHOUT ROWID;
        CREATE TEMP TABLE IF NOT EXISTS ids (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID;
        """;

    private async Task<T> LockedAsync<T>(Func<T> work, CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            return work();
        }
        finally
        {
            _lock.Release();
        }
    }

    /// <summary>Fills the connection's temp table <c>ids</c> (joined by set queries instead of building IN lists).</summary>
    private void FillIds(IEnumerable<string> ids, SqliteTransaction? tx)
    {
        using (var clear = Command("DELETE FROM temp.ids", tx)) clear.ExecuteNonQuery();
        using var insert = Command("INSERT OR IGNORE INTO temp.ids(id) VALUES ($id)", tx);
        var p = insert.Parameters.Add("$id", SqliteType.Text);
        foreach (var id in ids)
        {
            p.Value = id;
            insert.ExecuteNonQuery();
        }
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx)
    {
        var cmd = _db.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private static void Exec(SqliteConnection db, string sql)
    {
        using var cmd = db.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    internal static long Ticks(Instant t) => t.ToUnixTimeTicks();

    internal static Instant FromTicks(long ticks) => Instant.FromUnixTimeTicks(ticks);

    public void Dispose()
    {
        _lock.Wait();
        try
        {
            if (_disposed) return;
            _disposed = true;
            _db.Dispose();
        }
        finally
        {
            _lock.Release();
        }
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
