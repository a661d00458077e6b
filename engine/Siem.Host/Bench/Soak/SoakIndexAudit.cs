using Microsoft.Data.Sqlite;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// What the SQLite index holds, read straight from <c>index.db</c> (a separate read-only connection): rows, distinct
/// record ids and distinct original lines over every daily events table. Every line a run writes is unique, so
/// <c>lost = written − distinct originals</c> and <c>duplicates = rows − distinct originals</c> (a line indexed twice
/// under two record ids would show up here even though the record-id key makes a same-id rewrite impossible).
/// </summary>
internal sealed record SoakIndexAudit(long Rows, long DistinctRecordIds, long DistinctOriginals)
{
    public long Lost(long written) => Math.Max(0, written - DistinctOriginals);
    public long Duplicates => Rows - DistinctOriginals;

    public static SoakIndexAudit Read(string indexDbPath)
    {
        if (!File.Exists(indexDbPath)) return new SoakIndexAudit(0, 0, 0);
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = indexDbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        var tables = new List<string>();
        using (var list = conn.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'events_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'";
            using var r = list.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        if (tables.Count == 0) return new SoakIndexAudit(0, 0, 0);
        string union = string.Join(" UNION ALL ", tables.Select(t => $"SELECT record_id, original FROM {t}"));
        using var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT count(*), count(DISTINCT record_id), count(DISTINCT original) FROM ({union})";
        using var reader = cmd.ExecuteReader();
        reader.Read();
        return new SoakIndexAudit(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    /// <summary>The original lines in the index, for exact comparisons in tests (small runs only).</summary>
    public static List<string> Originals(string indexDbPath)
    {
        using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = indexDbPath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        var tables = new List<string>();
        using (var list = conn.CreateCommand())
        {
            list.CommandText = "SELECT name FROM sqlite_master WHERE type='table' AND name GLOB 'events_[0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]'";
            using var r = list.ExecuteReader();
            while (r.Read()) tables.Add(r.GetString(0));
        }
        var result = new List<string>();
        foreach (var t in tables)
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = $"SELECT original FROM {t}";
            using var r = cmd.ExecuteReader();
            while (r.Read()) result.Add(r.GetString(0));
        }
        return result;
    }

    public override string ToString() => $"{Rows} rows, {DistinctRecordIds} distinct record ids, {DistinctOriginals} distinct lines";
}
