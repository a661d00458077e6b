using System.Text;
using System.Text.Json;
using Siem.Engine.Alerts;
using Siem.Engine.Index;

namespace Siem.Engine.Search;

/// <summary>How <c>siem search</c> prints hits: one readable line each, or one JSON object per line.</summary>
public static class SearchOutput
{
    public static string ToJsonLine(SearchHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            if (hit.Alert is { } a)
            {
                // The alert document with a "kind" discriminator in front.
                w.WriteStartObject();
                w.WriteString("kind", "alert");
                using var doc = JsonDocument.Parse(AlertJson.Serialize(a));
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Name == "kind") w.WriteString("alert_kind", p.Value.GetString());
                    else p.WriteTo(w);
                }
                w.WriteEndObject();
            }
            else
            {
                var e = hit.Event!;
                w.WriteStartObject();
                w.WriteString("kind", "event");
                w.WriteString("record_id", e.RecordId);
                w.WriteString("@timestamp", AlertJson.FormatInstant(e.Timestamp));
                w.WriteString("agent_id", e.AgentId);
                w.WriteString("original", e.Original);
                w.WritePropertyName("fields");
                using var fields = JsonDocument.Parse(SqliteIndexSink.FieldsJson(e.Fields));
                fields.RootElement.WriteTo(w);
                w.WriteEndObject();
            }
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    public static string ToText(SearchHit hit)
    {
        ArgumentNullException.ThrowIfNull(hit);
        string ts = AlertJson.FormatInstant(hit.Timestamp);
        if (hit.Alert is { } a)
        {
            string group = string.Join(' ', a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"));
            return $"{ts}  ALERT [{a.Level}] {a.Title} (rule {a.RuleId}, count {a.Count}){(group.Length > 0 ? "  " + group : "")}  id={a.AlertId}";
        }
        return $"{ts}  {hit.Event!.Original}";
    }
}
