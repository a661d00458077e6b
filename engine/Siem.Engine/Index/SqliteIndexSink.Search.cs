using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Engine.Index;

public sealed partial class SqliteIndexSink
{
    public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = WithBlindIndex(request);
        using var conn = OpenReader();
        var hits = new List<SearchHit>();
        if (request.IncludeEvents)
        {
            foreach (var table in PartitionsFor(conn, request))
            {
                cancellationToken.ThrowIfCancellationRequested();
                // Partitions come newest day first: once enough hits are in hand, older days cannot displace them.
                if (hits.Count >= request.Limit) break;
                using var cmd = BuildSelect(conn, request, table, "record_id, ts, agent_id, original, fields", "ORDER BY e.ts DESC, e.record_id DESC LIMIT " + request.Limit);
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
                    ReadFields(r.GetString(4), e.Fields);
                    hits.Add(new SearchHit { Kind = "event", Id = e.RecordId, Timestamp = e.Timestamp, Event = e });
                }
            }
        }
        if (request.IncludeAlerts)
        {
            using var cmd = BuildSelect(conn, request, "alerts", "alert_id, ts, doc", "ORDER BY e.ts DESC, e.alert_id DESC LIMIT " + request.Limit);
            using var r = cmd.ExecuteReader();
            while (r.Read())
            {
                var alert = AlertJson.Deserialize(Encoding.UTF8.GetBytes(r.GetString(2)));
                hits.Add(new SearchHit { Kind = "alert", Id = r.GetString(0), Timestamp = Instant.FromUnixTimeTicks(r.GetInt64(1)), Alert = alert });
            }
        }
        IReadOnlyList<SearchHit> result = [.. hits.OrderByDescending(h => h.Timestamp).ThenByDescending(h => h.Id, StringComparer.Ordinal).Take(request.Limit)];
        return RevealAsync(result, cancellationToken);
    }

    public Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = WithBlindIndex(request);
        using var conn = OpenReader();
        long total = 0;
        var tables = new List<string>();
        if (request.IncludeEvents) tables.AddRange(PartitionsFor(conn, request));
        if (request.IncludeAlerts) tables.Add("alerts");
        foreach (var table in tables)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var cmd = BuildSelect(conn, request, table, "COUNT(*)", "");
            total += (long)cmd.ExecuteScalar()!;
        }
        return Task.FromResult(total);
    }

    private SqliteConnection OpenReader()
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        conn.Open();
        Exec(conn, "PRAGMA busy_timeout=10000;");
        return conn;
    }

    private static IEnumerable<string> PartitionsFor(SqliteConnection conn, SearchRequest request)
    {
        string? fromTable = request.From is { } f ? PartitionFor(f) : null;
        string? toTable = request.To is { } t ? PartitionFor(t) : null;
        foreach (var table in ListPartitions(conn))
        {
            if (fromTable != null && string.CompareOrdinal(table, fromTable) < 0) continue;
            if (toTable != null && string.CompareOrdinal(table, toTable) > 0) continue;
            yield return table;
        }
    }

    private static SqliteCommand BuildSelect(SqliteConnection conn, SearchRequest request, string table, string columns, string tail)
    {
        var (where, parameters) = SqliteQueryCompiler.Compile(request.Query, table + "_fts", table == "alerts" ? "alert_id" : "record_id");
        var cmd = conn.CreateCommand();
        var sql = new StringBuilder("SELECT ").Append(columns).Append(" FROM ").Append(table).Append(" e WHERE (").Append(where).Append(')');
        if (request.From is { } from)
        {
            sql.Append(" AND e.ts >= $from");
            cmd.Parameters.AddWithValue("$from", from.ToUnixTimeTicks());
        }
        if (request.To is { } to)
        {
            sql.Append(" AND e.ts < $to");
            cmd.Parameters.AddWithValue("$to", to.ToUnixTimeTicks());
        }
        sql.Append(' ').Append(tail);
        foreach (var p in parameters) cmd.Parameters.AddWithValue(p.Key, p.Value);
        cmd.CommandText = sql.ToString();
        return cmd;
    }

    private static void ReadFields(string json, Dictionary<string, object> into)
    {
        using var doc = JsonDocument.Parse(json);
        foreach (var p in doc.RootElement.EnumerateObject())
        {
            into[p.Name] = p.Value.ValueKind == JsonValueKind.Array
                ? p.Value.EnumerateArray().Select(x => x.GetString() ?? "").ToArray()
                : p.Value.GetString() ?? "";
        }
    }
}
