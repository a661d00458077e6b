using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

public sealed partial class SqliteIndexSink
{
    private const string AlertUpsertSql = """
        INSERT INTO alerts(alert_id, rule_id, level, ts, first_seen, count, message, keys, fields, doc)
        VALUES ($id, $rule, $level, $ts, $first, $count, $msg, $keys, $fields, $doc)
        ON CONFLICT(alert_id) DO UPDATE SET rule_id=excluded.rule_id, level=excluded.level, ts=excluded.ts,
          first_seen=excluded.first_seen, count=excluded.count, message=excluded.message, keys=excluded.keys,
          fields=excluded.fields, doc=excluded.doc
        """;

    private static readonly (string Name, SqliteType Type)[] AlertUpsertParameters =
    [
        ("$id", SqliteType.Text), ("$rule", SqliteType.Text), ("$level", SqliteType.Text), ("$ts", SqliteType.Integer),
        ("$first", SqliteType.Integer), ("$count", SqliteType.Integer), ("$msg", SqliteType.Text), ("$keys", SqliteType.Text),
        ("$fields", SqliteType.Text), ("$doc", SqliteType.Text),
    ];

    /// <summary>Prepared statements of the writer connection, by SQL text, reused across writes (guarded by the write lock).</summary>
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    /// <summary>The event insert of each partition written to, prepared once (guarded by the write lock).</summary>
    private readonly Dictionary<string, SqliteEventInsert> _inserts = new(StringComparer.Ordinal);

    private SqliteEventInsert EventInsert(string table)
    {
        if (!_inserts.TryGetValue(table, out var insert)) _inserts[table] = insert = new SqliteEventInsert(_writer, table);
        return insert;
    }

    /// <summary>The prepared statement for <paramref name="sql"/>, enlisted in <paramref name="tx"/>.</summary>
    private SqliteCommand Statement(string sql, (string Name, SqliteType Type)[] parameters, SqliteTransaction tx)
    {
        if (!_statements.TryGetValue(sql, out var cmd))
        {
            cmd = _writer.CreateCommand();
            cmd.CommandText = sql;
            foreach (var (name, type) in parameters) cmd.Parameters.Add(name, type);
            cmd.Transaction = tx;
            cmd.Prepare();
            _statements[sql] = cmd;
        }
        cmd.Transaction = tx;
        return cmd;
    }

    /// <summary>The highest row id of <paramref name="table"/> (0 when empty): rows above it were added after this call.</summary>
    private long MaxRowId(string table, SqliteTransaction tx)
    {
        var cmd = Statement($"SELECT coalesce(max(id), 0) FROM {table}", [], tx);
        return (long)cmd.ExecuteScalar()!;
    }

    /// <summary>Adds the full-text rows of the rows of <paramref name="table"/> above <paramref name="before"/>, in one statement.</summary>
    private void IndexNewRows(string table, long before, SqliteTransaction tx)
    {
        var cmd = Statement($"INSERT INTO {table}_fts(rowid, message, keys) SELECT id, message, keys FROM {table} WHERE id > $before", [("$before", SqliteType.Integer)], tx);
        cmd.Parameters[0].Value = before;
        cmd.ExecuteNonQuery();
    }

    private void WriteAlerts(IReadOnlyList<AlertDocument> alerts, SqliteTransaction tx)
    {
        // One upsert per alert id (its last state): a second upsert of a row inserted in this write could change its
        // texts before its full-text row exists, and the update trigger would then delete entries that were never added.
        var latest = new Dictionary<string, AlertDocument>(StringComparer.Ordinal);
        foreach (var a in alerts) latest[a.AlertId] = a;
        long before = MaxRowId("alerts", tx);
        var cmd = Statement(AlertUpsertSql, AlertUpsertParameters, tx);
        var p = cmd.Parameters;
        foreach (var a in latest.Values)
        {
            p[0].Value = a.AlertId;
            p[1].Value = a.RuleId;
            p[2].Value = a.Level;
            p[3].Value = a.LastSeen.ToUnixTimeTicks();
            p[4].Value = a.FirstSeen.ToUnixTimeTicks();
            p[5].Value = a.Count;
            p[6].Value = a.Title;
            p[7].Value = string.Join(' ', [a.RuleId, .. a.Tags, .. a.GroupBy.Values]);
            p[8].Value = FieldsJson(AlertFields(a));
            p[9].Value = AlertJson.SerializeToString(a);
            cmd.ExecuteNonQuery();
        }
        // Updated alerts keep their row id; only the new ones are above the mark.
        IndexNewRows("alerts", before, tx);
    }

    /// <summary>The flat fields an alert is searched by: its own (rule.*, alert.*, tags) plus its group-by values,
    /// so <c>source.ip:10.0.0.5</c> finds the events and the alerts about that address.</summary>
    internal static Dictionary<string, object> AlertFields(AlertDocument a)
    {
        var f = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var kv in a.GroupBy) f[kv.Key] = kv.Value;
        f["event.kind"] = "alert";
        f["alert.id"] = a.AlertId;
        f["alert.kind"] = a.Kind;
        f["rule.id"] = a.RuleId;
        f["rule.name"] = a.Title;
        f["rule.level"] = a.Level;
        f["level"] = a.Level;
        f[EcsFields.Tags] = a.Tags.ToArray();
        f["title"] = a.Title;
        return f;
    }

    // Per-thread scratch for the fields JSON of alerts and search output (events are written by SqliteEventInsert,
    // which keeps its own): without it, each call allocated a MemoryStream and a JSON writer.
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_jsonBuffer;
    [ThreadStatic] private static Utf8JsonWriter? t_jsonWriter;

    internal static string FieldsJson(Dictionary<string, object> fields)
    {
        var buffer = t_jsonBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = t_jsonWriter ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
        WriteFieldsJson(w, fields);
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    /// <summary>The "fields" column: one JSON object, a string or an array of strings per field (flushed when it returns).</summary>
    internal static void WriteFieldsJson(Utf8JsonWriter w, Dictionary<string, object> fields)
    {
        w.WriteStartObject();
        foreach (var kv in fields)
        {
            if (kv.Value is string s)
            {
                w.WriteString(kv.Key, s);
            }
            else if (kv.Value is string[] arr)
            {
                w.WriteStartArray(kv.Key);
                foreach (var x in arr) w.WriteStringValue(x);
                w.WriteEndArray();
            }
            else
            {
                w.WriteString(kv.Key, Convert.ToString(kv.Value, System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        w.WriteEndObject();
        w.Flush();
    }
}
