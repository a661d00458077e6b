using System.Text;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index;

public sealed partial class SqliteIndexSink
{
    private SqliteCommand PrepareEventInsert(string table, SqliteTransaction tx)
    {
        var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = $"""
            INSERT INTO {table}(record_id, ts, agent_id, message, keys, original, fields)
            VALUES ($rid, $ts, $agent, $msg, $keys, $orig, $fields) ON CONFLICT(record_id) DO NOTHING
            """;
        cmd.Parameters.Add("$rid", SqliteType.Text);
        cmd.Parameters.Add("$ts", SqliteType.Integer);
        cmd.Parameters.Add("$agent", SqliteType.Text);
        cmd.Parameters.Add("$msg", SqliteType.Text);
        cmd.Parameters.Add("$keys", SqliteType.Text);
        cmd.Parameters.Add("$orig", SqliteType.Text);
        cmd.Parameters.Add("$fields", SqliteType.Text);
        cmd.Prepare();
        return cmd;
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
        using var cmd = _writer.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO alerts(alert_id, rule_id, level, ts, first_seen, count, message, keys, fields, doc)
            VALUES ($id, $rule, $level, $ts, $first, $count, $msg, $keys, $fields, $doc)
            ON CONFLICT(alert_id) DO UPDATE SET rule_id=excluded.rule_id, level=excluded.level, ts=excluded.ts,
              first_seen=excluded.first_seen, count=excluded.count, message=excluded.message, keys=excluded.keys,
              fields=excluded.fields, doc=excluded.doc
            """;
        foreach (var a in alerts)
        {
            var fields = AlertFields(a);
            cmd.Parameters.Clear();
            cmd.Parameters.AddWithValue("$id", a.AlertId);
            cmd.Parameters.AddWithValue("$rule", a.RuleId);
            cmd.Parameters.AddWithValue("$level", a.Level);
            cmd.Parameters.AddWithValue("$ts", a.LastSeen.ToUnixTimeTicks());
            cmd.Parameters.AddWithValue("$first", a.FirstSeen.ToUnixTimeTicks());
            cmd.Parameters.AddWithValue("$count", a.Count);
            cmd.Parameters.AddWithValue("$msg", a.Title);
            cmd.Parameters.AddWithValue("$keys", string.Join(' ', [a.RuleId, .. a.Tags, .. a.GroupBy.Values]));
            cmd.Parameters.AddWithValue("$fields", FieldsJson(fields));
            cmd.Parameters.AddWithValue("$doc", AlertJson.SerializeToString(a));
            cmd.ExecuteNonQuery();
        }
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

    private static string KeysText(Dictionary<string, object> fields)
    {
        var sb = new StringBuilder();
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
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
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
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
