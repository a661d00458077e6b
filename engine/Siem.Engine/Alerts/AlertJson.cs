using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Siem.Engine.Alerts;

/// <summary>The JSON form of <see cref="AlertDocument"/> (snake_case), used on the wire, in the index and by channels.</summary>
public static class AlertJson
{
    public static byte[] Serialize(AlertDocument alert)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            Write(w, alert);
        }
        return buffer.ToArray();
    }

    public static string SerializeToString(AlertDocument alert) => Encoding.UTF8.GetString(Serialize(alert));

    public static void Write(Utf8JsonWriter w, AlertDocument a)
    {
        ArgumentNullException.ThrowIfNull(w);
        ArgumentNullException.ThrowIfNull(a);
        w.WriteStartObject();
        w.WriteString("alert_id", a.AlertId);
        w.WriteString("rule_id", a.RuleId);
        w.WriteString("title", a.Title);
        w.WriteString("level", a.Level);
        w.WriteString("kind", a.Kind);
        if (a.Description != null) w.WriteString("description", a.Description);
        w.WriteStartArray("tags");
        foreach (var t in a.Tags) w.WriteStringValue(t);
        w.WriteEndArray();
        w.WriteStartObject("group_by");
        foreach (var kv in a.GroupBy) w.WriteString(kv.Key, kv.Value);
        w.WriteEndObject();
        w.WriteStartObject("fields");
        foreach (var kv in a.Fields) w.WriteString(kv.Key, kv.Value);
        w.WriteEndObject();
        w.WriteString("first_seen", FormatInstant(a.FirstSeen));
        w.WriteString("last_seen", FormatInstant(a.LastSeen));
        w.WriteNumber("count", a.Count);
        if (a.Backfill) w.WriteBoolean("backfill", true);
        w.WriteStartArray("record_ids");
        foreach (var r in a.RecordIds) w.WriteStringValue(r);
        w.WriteEndArray();
        w.WriteEndObject();
    }

    public static AlertDocument Deserialize(ReadOnlySpan<byte> utf8)
    {
        using var doc = JsonDocument.Parse(utf8.ToArray());
        var root = doc.RootElement;
        string Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        return new AlertDocument
        {
            AlertId = Str("alert_id"),
            RuleId = Str("rule_id"),
            Title = Str("title"),
            Level = Str("level"),
            Kind = Str("kind"),
            Description = root.TryGetProperty("description", out var d) ? d.GetString() : null,
            Tags = root.TryGetProperty("tags", out var t) ? [.. t.EnumerateArray().Select(x => x.GetString() ?? "")] : [],
            RecordIds = root.TryGetProperty("record_ids", out var r) ? [.. r.EnumerateArray().Select(x => x.GetString() ?? "")] : [],
            GroupBy = root.TryGetProperty("group_by", out var g)
                ? g.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(),
            Fields = root.TryGetProperty("fields", out var f)
                ? f.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "", StringComparer.Ordinal)
                : new Dictionary<string, string>(),
            FirstSeen = InstantPattern.ExtendedIso.Parse(Str("first_seen")).GetValueOrThrow(),
            LastSeen = InstantPattern.ExtendedIso.Parse(Str("last_seen")).GetValueOrThrow(),
            Count = root.TryGetProperty("count", out var c) ? c.GetInt64() : 1,
            Backfill = root.TryGetProperty("backfill", out var b) && b.ValueKind == JsonValueKind.True,
        };
    }

    public static string FormatInstant(Instant i) => InstantPattern.ExtendedIso.Format(i);
}
