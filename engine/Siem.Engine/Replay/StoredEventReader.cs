using System.Text.Json;
using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;

namespace Siem.Engine.Replay;

/// <summary>Reads the events stored in the SQLite index in event-time order (day partitions oldest first, then ts, record id).</summary>
internal static class StoredEventReader
{
    public static long Count(string databasePath, Instant? from, Instant? to)
    {
        using var conn = Open(databasePath);
        long total = 0;
        foreach (var table in Partitions(conn, from, to))
        {
            using var cmd = Select(conn, table, "COUNT(*)", from, to, "");
            total += (long)cmd.ExecuteScalar()!;
        }
        return total;
    }

    public static IEnumerable<LogEvent> Read(string databasePath, Instant? from, Instant? to)
    {
        using var conn = Open(databasePath);
        foreach (var table in Partitions(conn, from, to))
        {
            using var cmd = Select(conn, table, "record_id, ts, agent_id, original, fields", from, to, "ORDER BY ts, record_id");
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var e = new LogEvent
                {
                    RecordId = r.GetString(0),
                    Timestamp = Instant.FromUnixTimeTicks(r.GetInt64(1)),
                    AgentId = r.GetString(2),
                    Original = r.GetString(3),
                };
                using var doc = JsonDocument.Parse(r.GetString(4));
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    e.Fields[p.Name] = p.Value.ValueKind == JsonValueKind.Array
                        ? p.Value.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
                        : p.Value.GetString() ?? "";
                }
                yield return e;
            }
        }
    }

    private static SqliteConnection Open(string path)
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        SqliteIndexSink.Exec(conn, "PRAGMA busy_timeout=10000;");
        return conn;
    }

    private static IEnumerable<string> Partitions(SqliteConnection conn, Instant? from, Instant? to)
    {
        string? first = from is { } f ? SqliteIndexSink.PartitionFor(f) : null;
        string? last = to is { } t ? SqliteIndexSink.PartitionFor(t) : null;
        var list = SqliteIndexSink.ListPartitions(conn);
        list.Reverse(); // listed newest first; replay goes forward in time
        return list.Where(p => (first == null || string.CompareOrdinal(p, first) >= 0) && (last == null || string.CompareOrdinal(p, last) <= 0)).ToList();
    }

    private static SqliteCommand Select(SqliteConnection conn, string table, string columns, Instant? from, Instant? to, string tail)
    {
        var cmd = conn.CreateCommand();
        cmd.CommandText = $"SELECT {columns} FROM {table} WHERE 1=1"
            + (from != null ? " AND ts >= $from" : "") + (to != null ? " AND ts < $to" : "") + " " + tail;
        if (from is { } f) cmd.Parameters.AddWithValue("$from", f.ToUnixTimeTicks());
        if (to is { } t) cmd.Parameters.AddWithValue("$to", t.ToUnixTimeTicks());
        return cmd;
    }
}
