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

    private static readonly (string Name, SqliteType Type)[] EventInsertParameters =
    [
        ("$rid", SqliteType.Text), ("$ts", SqliteType.Integer), ("$agent", SqliteType.Text), ("$msg", SqliteType.Text),
        ("$keys", SqliteType.Text), ("$orig", SqliteType.Text), ("$fields", SqliteType.Text),
    ];

    private static readonly (string Name, SqliteType Type)[] AlertUpsertParameters =
    [
        ("$id", SqliteType.Text), ("$rule", SqliteType.Text), ("$level", SqliteType.Text), ("$ts", SqliteType.Integer),
        ("$first", SqliteType.Integer), ("$count", SqliteType.Integer), ("$msg", SqliteType.Text), ("$keys", SqliteType.Text),
        ("$fields", SqliteType.Text), ("$doc", SqliteType.Text),
    ];

    /// <summary>Prepared statements of the writer connection, by SQL text, reused across writes (guarded by the write lock).</summary>
    private readonly Dictionary<string, SqliteCommand> _statements = new(StringComparer.Ordinal);

    private static string EventInsertSql(string table) => $"""
        INSERT INTO {table}(record_id, ts, agent_id, message, keys, original, fields)
        VALUES ($rid, $ts, $agent, $msg, $keys, $orig, $fields) ON CONFLICT(record_id) DO NOTHING
        """;

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

    private static void BindEvent(SqliteCommand cmd, LogEvent e)
    {
        var p = cmd.Parameters;
        p[0].Value = e.RecordId;
        p[1].Value = e.Timestamp.ToUnixTimeTicks();
        p[2].Value = e.AgentId;
        p[3].Value = e.Get(EcsFields.Message) ?? e.Original;
        p[4].Value = KeysText(e.Fields);
        p[5].Value = e.Original;
        p[6].Value = FieldsJson(e.Fields);
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

    // Per-thread scratch for the text built for every event: without it, each event allocated a StringBuilder, a
    // MemoryStream and a JSON writer, and the GC work showed up in the sink's profile.
    [ThreadStatic] private static StringBuilder? t_keys;
    [ThreadStatic] private static ArrayBufferWriter<byte>? t_jsonBuffer;
    [ThreadStatic] private static Utf8JsonWriter? t_jsonWriter;

    private static string KeysText(Dictionary<string, object> fields)
    {
        var sb = t_keys ??= new StringBuilder(256);
        sb.Clear();
        foreach (var name in KeyFields)
        {
            if (!fields.TryGetValue(name, out var v)) continue;
            if (v is string s) sb.Append(s).Append(' ');
            else if (v is string[] arr) foreach (var x in arr) sb.Append(x).Append(' ');
        }
        return sb.ToString();
    }

    internal static string FieldsJson(Dictionary<string, object> fields)
    {
        var buffer = t_jsonBuffer ??= new ArrayBufferWriter<byte>(1024);
        buffer.ResetWrittenCount();
        var w = t_jsonWriter ??= new Utf8JsonWriter(buffer);
        w.Reset(buffer);
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
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }
}
