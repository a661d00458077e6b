using System.Globalization;
using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Lineage.Shredding;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// The JSON documents the sink indexes. An event is its flat dotted fields plus <c>@timestamp</c>, <c>siem.id</c>
/// (record id, also the <c>_id</c>), <c>siem.agent_id</c> and <c>event.original</c>; an alert is its searchable flat
/// fields (<see cref="SqliteIndexSink.AlertFields"/>) plus the whole alert document under <c>siem.alert</c> (stored, not indexed).
/// </summary>
internal static class ElasticsearchDocuments
{
    public const string IdField = "siem.id";
    public const string AgentField = "siem.agent_id";
    public const string KindField = "siem.kind";
    public const string AlertField = "siem.alert";
    public const string OriginalField = "event.original";
    public const string TextField = "siem.text";

    /// <summary>An alert's record ids (keywords), so a purge finds the alerts of a subject's records by query.</summary>
    public const string AlertRecordIdsField = "siem.record_ids";

    /// <summary>An alert's group-by and key field values, title and description (keywords, and analyzed in
    /// <c>siem.values.text</c>), so a purge finds the alerts that hold a subject's value by query.</summary>
    public const string AlertValuesField = "siem.values";

    /// <summary>Marks alerts written with <see cref="AlertRecordIdsField"/> and <see cref="AlertValuesField"/>; alerts
    /// indexed before (without it) cannot be found by those, so a purge reads them whole.</summary>
    public const string AlertSchemaField = "siem.alert_schema";
    public const string AlertSchema = "2";

    /// <summary>Blind indexes of crypto-shredded fields: <c>&lt;field&gt;.bidx</c> in the event model is stored as
    /// <c>siem.bidx.&lt;field&gt;</c>, since Elasticsearch cannot map <c>user.email</c> as a value and an object at once.</summary>
    public const string BlindIndexPrefix = "siem.bidx.";

    private static readonly HashSet<string> Reserved = new(StringComparer.Ordinal) { "@timestamp", IdField, AgentField, KindField, OriginalField, AlertField, AlertRecordIdsField, AlertValuesField, AlertSchemaField };

    public static string IndexFor(string prefix, Instant ts) =>
        prefix + "-" + ts.InUtc().Date.ToString("yyyy.MM.dd", CultureInfo.InvariantCulture);

    public static string FormatTime(Instant i) => InstantPattern.ExtendedIso.Format(i);

    public static void WriteEvent(Utf8JsonWriter w, LogEvent e)
    {
        w.WriteStartObject();
        w.WriteString("@timestamp", FormatTime(e.Timestamp));
        w.WriteString(IdField, e.RecordId);
        w.WriteString(AgentField, e.AgentId);
        w.WriteString(KindField, "event");
        w.WriteString(OriginalField, e.Original);
        WriteFields(w, e.Fields);
        w.WriteEndObject();
    }

    public static void WriteAlert(Utf8JsonWriter w, AlertDocument a)
    {
        w.WriteStartObject();
        w.WriteString("@timestamp", FormatTime(a.LastSeen));
        w.WriteString(IdField, a.AlertId);
        w.WriteString(KindField, "alert");
        w.WriteString("first_seen", FormatTime(a.FirstSeen));
        w.WriteNumber("count", a.Count);
        if (a.Backfill) w.WriteBoolean("backfill", true);
        w.WriteString(AlertSchemaField, AlertSchema);
        w.WriteStartArray(AlertRecordIdsField);
        foreach (var id in a.RecordIds) w.WriteStringValue(id);
        w.WriteEndArray();
        w.WriteStartArray(AlertValuesField);
        foreach (var v in AlertTexts.Of(a)) w.WriteStringValue(v);
        w.WriteEndArray();
        WriteFields(w, SqliteIndexSink.AlertFields(a));
        w.WritePropertyName(AlertField);
        AlertJson.Write(w, a);
        w.WriteEndObject();
    }

    /// <summary>The document field that holds an event-model field.</summary>
    public static string StoredName(string field) =>
        field.EndsWith(FieldProtector.BlindIndexSuffix, StringComparison.Ordinal)
            ? BlindIndexPrefix + field[..^FieldProtector.BlindIndexSuffix.Length]
            : field;

    private static void WriteFields(Utf8JsonWriter w, Dictionary<string, object> fields)
    {
        foreach (var kv in fields)
        {
            if (Reserved.Contains(kv.Key)) continue;
            string name = StoredName(kv.Key);
            if (kv.Value is string[] arr)
            {
                w.WriteStartArray(name);
                foreach (var x in arr) w.WriteStringValue(x);
                w.WriteEndArray();
            }
            else
            {
                w.WriteString(name, kv.Value as string ?? Convert.ToString(kv.Value, CultureInfo.InvariantCulture));
            }
        }
    }

    public static LogEvent ReadEvent(JsonElement source)
    {
        var e = new LogEvent
        {
            RecordId = Str(source, IdField),
            AgentId = Str(source, AgentField),
            Original = Str(source, OriginalField),
            Timestamp = InstantPattern.ExtendedIso.Parse(Str(source, "@timestamp")).GetValueOrThrow(),
        };
        foreach (var p in source.EnumerateObject())
        {
            if (Reserved.Contains(p.Name)) continue;
            string name = p.Name.StartsWith(BlindIndexPrefix, StringComparison.Ordinal) ? p.Name[BlindIndexPrefix.Length..] + FieldProtector.BlindIndexSuffix : p.Name;
            e.Fields[name] = p.Value.ValueKind == JsonValueKind.Array
                ? p.Value.EnumerateArray().Select(x => x.ToString()).ToArray()
                : p.Value.ToString();
        }
        return e;
    }

    /// <summary>The alert in a raw <c>_source</c> that holds <see cref="AlertField"/>.</summary>
    public static AlertDocument ReadAlertSource(string source)
    {
        using var doc = JsonDocument.Parse(source);
        return ReadAlert(doc.RootElement);
    }

    public static AlertDocument ReadAlert(JsonElement source) =>
        AlertJson.Deserialize(Encoding.UTF8.GetBytes(source.GetProperty(AlertField).GetRawText()));

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
}
