using System.Globalization;
using Microsoft.Data.Sqlite;

namespace Siem.Api.Triage;

/// <summary>
/// Alert triage in its own SQLite file next to the index (<c>&lt;data&gt;/api/triage.db</c>): the current state per
/// alert plus an append-only history, each change one transaction. The index stays the engine's; triage is the analysts'.
/// </summary>
public sealed class TriageStore : IDisposable
{
    private readonly SqliteConnection _conn;
    private readonly object _gate = new();

    public TriageStore(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        _conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        _conn.Open();
        Exec("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;
            CREATE TABLE IF NOT EXISTS triage (alert_id TEXT PRIMARY KEY, status TEXT NOT NULL, assignee TEXT, reason TEXT,
              updated_at TEXT NOT NULL, updated_by TEXT NOT NULL);
            CREATE TABLE IF NOT EXISTS triage_history (id INTEGER PRIMARY KEY, alert_id TEXT NOT NULL, action TEXT NOT NULL,
              detail TEXT, at TEXT NOT NULL, actor TEXT NOT NULL);
            CREATE INDEX IF NOT EXISTS triage_history_alert ON triage_history(alert_id);
            """);
    }

    public AlertTriage? Get(string alertId)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "SELECT alert_id, status, assignee, reason, updated_at, updated_by FROM triage WHERE alert_id = $id";
            cmd.Parameters.AddWithValue("$id", alertId);
            using var r = cmd.ExecuteReader();
            return r.Read() ? Read(r) : null;
        }
    }

    /// <summary>The triage rows of these alerts (alerts without one are open).</summary>
    public Dictionary<string, AlertTriage> GetMany(IEnumerable<string> alertIds)
    {
        var result = new Dictionary<string, AlertTriage>(StringComparer.Ordinal);
        foreach (var id in alertIds.Distinct(StringComparer.Ordinal))
        {
            if (Get(id) is { } t) result[id] = t;
        }
        return result;
    }

    public IReadOnlyList<(string Action, string? Detail, DateTimeOffset At, string Actor)> History(string alertId)
    {
        lock (_gate)
        {
            using var cmd = _conn.CreateCommand();
            cmd.CommandText = "SELECT action, detail, at, actor FROM triage_history WHERE alert_id = $id ORDER BY id";
            cmd.Parameters.AddWithValue("$id", alertId);
            using var r = cmd.ExecuteReader();
            var list = new List<(string, string?, DateTimeOffset, string)>();
            while (r.Read()) list.Add((r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1), Parse(r.GetString(2)), r.GetString(3)));
            return list;
        }
    }

    public AlertTriage Acknowledge(string alertId, string actor, DateTimeOffset at) =>
        Change(alertId, actor, at, "acknowledge", null, current => current with { Status = AlertTriage.Acknowledged, Assignee = current.Assignee ?? actor });

    public AlertTriage Assign(string alertId, string assignee, string actor, DateTimeOffset at) =>
        Change(alertId, actor, at, "assign", assignee, current => current with { Assignee = assignee });

    public AlertTriage Close(string alertId, string reason, string actor, DateTimeOffset at) =>
        Change(alertId, actor, at, "close", reason, current => current with { Status = AlertTriage.Closed, Reason = reason });

    public AlertTriage Reopen(string alertId, string actor, DateTimeOffset at) =>
        Change(alertId, actor, at, "reopen", null, current => current with { Status = AlertTriage.Open, Reason = null });

    private AlertTriage Change(string alertId, string actor, DateTimeOffset at, string action, string? detail, Func<AlertTriage, AlertTriage> apply)
    {
        lock (_gate)
        {
            using var tx = _conn.BeginTransaction();
            var current = GetInTx(alertId, tx) ?? new AlertTriage(alertId, AlertTriage.Open, null, null, at, actor);
            var next = apply(current) with { UpdatedAt = at, UpdatedBy = actor };
            using (var up = _conn.CreateCommand())
            {
                up.Transaction = tx;
                up.CommandText = """
                    INSERT INTO triage (alert_id, status, assignee, reason, updated_at, updated_by) VALUES ($id, $s, $a, $r, $at, $by)
                    ON CONFLICT(alert_id) DO UPDATE SET status=$s, assignee=$a, reason=$r, updated_at=$at, updated_by=$by
                    """;
                up.Parameters.AddWithValue("$id", alertId);
                up.Parameters.AddWithValue("$s", next.Status);
                up.Parameters.AddWithValue("$a", (object?)next.Assignee ?? DBNull.Value);
                up.Parameters.AddWithValue("$r", (object?)next.Reason ?? DBNull.Value);
                up.Parameters.AddWithValue("$at", Format(at));
                up.Parameters.AddWithValue("$by", actor);
                up.ExecuteNonQuery();
            }
            using (var hist = _conn.CreateCommand())
            {
                hist.Transaction = tx;
                hist.CommandText = "INSERT INTO triage_history (alert_id, action, detail, at, actor) VALUES ($id, $action, $d, $at, $by)";
                hist.Parameters.AddWithValue("$id", alertId);
                hist.Parameters.AddWithValue("$action", action);
                hist.Parameters.AddWithValue("$d", (object?)detail ?? DBNull.Value);
                hist.Parameters.AddWithValue("$at", Format(at));
                hist.Parameters.AddWithValue("$by", actor);
                hist.ExecuteNonQuery();
            }
            tx.Commit();
            return next;
        }
    }

    private AlertTriage? GetInTx(string alertId, SqliteTransaction tx)
    {
        using var cmd = _conn.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = "SELECT alert_id, status, assignee, reason, updated_at, updated_by FROM triage WHERE alert_id = $id";
        cmd.Parameters.AddWithValue("$id", alertId);
        using var r = cmd.ExecuteReader();
        return r.Read() ? Read(r) : null;
    }

    private static AlertTriage Read(SqliteDataReader r) => new(
        r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
        Parse(r.GetString(4)), r.GetString(5));

    private static string Format(DateTimeOffset t) => t.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);

    private static DateTimeOffset Parse(string s) => DateTimeOffset.Parse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);

    private void Exec(string sql)
    {
        using var cmd = _conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    public void Dispose() => _conn.Dispose();
}
