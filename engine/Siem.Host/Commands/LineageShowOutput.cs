using System.Text;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;
using Siem.Lineage.Ledger;

namespace Siem.Host.Commands;

/// <summary>Text and JSON forms of a record's or an alert's path for <c>siem lineage show</c>.</summary>
internal static class LineageShowOutput
{
    public static string ToText(RecordPath p)
    {
        var sb = new StringBuilder();
        sb.Append("record ").Append(p.RecordId).Append("  (concerns ").Append(p.SubjectCount).AppendLine(" pseudonymous subject(s))");
        for (int i = 0; i < p.Copies.Count; i++)
        {
            if (p.Copies.Count > 1) sb.Append("  copy ").Append(i + 1).Append(" of ").Append(p.Copies.Count).AppendLine();
            AppendHops(sb, p.Copies[i], "  ");
        }
        AppendAlerts(sb, p.Alerts, p.Deliveries);
        return sb.ToString().TrimEnd();
    }

    public static string ToText(AlertPath p)
    {
        var sb = new StringBuilder();
        var a = p.Alert;
        sb.Append("alert ").Append(a.AlertId).Append("  rule ").Append(a.RuleId).Append(", stored in ").Append(a.Index).Append(" at ").Append(Time(a.At))
          .Append(", concerns ").Append(p.SubjectCount).AppendLine(" pseudonymous subject(s)");
        sb.Append("  built from ").Append(a.RecordIds.Count).AppendLine(" record(s):");
        foreach (var r in p.Records)
        {
            sb.Append("  record ").AppendLine(r.RecordId);
            AppendHops(sb, r, "    ");
        }
        foreach (var missing in a.RecordIds.Where(id => !p.Records.Any(r => r.RecordId == id)))
            sb.Append("  record ").Append(missing).AppendLine("  (not in the ledger)");
        AppendDeliveries(sb, p.Deliveries, "  ");
        return sb.ToString().TrimEnd();
    }

    public static string ToJson(RecordPath p) => Json(w =>
    {
        w.WriteString("kind", "record");
        w.WriteString("record_id", p.RecordId);
        w.WriteNumber("subject_count", p.SubjectCount);
        w.WriteStartArray("copies");
        foreach (var c in p.Copies) WriteRecord(w, c);
        w.WriteEndArray();
        w.WriteStartArray("alerts");
        foreach (var a in p.Alerts)
        {
            w.WriteStartObject();
            WriteAlertFields(w, a);
            WriteDeliveries(w, p.Deliveries.Where(d => d.AlertId == a.AlertId));
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static string ToJson(AlertPath p) => Json(w =>
    {
        w.WriteString("kind", "alert");
        WriteAlertFields(w, p.Alert);
        w.WriteNumber("subject_count", p.SubjectCount);
        w.WriteStartArray("records");
        foreach (var r in p.Records) WriteRecord(w, r);
        w.WriteEndArray();
        WriteDeliveries(w, p.Deliveries);
    });

    private static void AppendHops(StringBuilder sb, LedgerRecord r, string indent)
    {
        sb.Append(indent).Append("source   ").Append(r.SourceKind ?? "unknown").Append(r.Source is { } s ? " " + s : "")
          .Append(r.Offset is { } o ? $" offset {o}" : "").Append(r.HostName is { } h ? $" on host {h}" : "").Append(", event time ").AppendLine(Time(r.EventTime));
        sb.Append(indent).Append("agent    ").Append(r.AgentId).Append(" batch ").Append(r.BatchSeq).AppendLine();
        sb.Append(indent).Append("stream   ").Append(r.Stream).Append(" seq ").Append(r.StreamSeq).Append(", received ").AppendLine(Time(r.ReceivedAt));
        sb.Append(indent).Append("engine   ").AppendLine(r.EngineInstance);
        sb.Append(indent).Append("index    ").Append(r.Index).Append(", indexed ").AppendLine(Time(r.IndexedAt));
    }

    private static void AppendAlerts(StringBuilder sb, IReadOnlyList<LedgerAlert> alerts, IReadOnlyList<LedgerDelivery> deliveries)
    {
        if (alerts.Count == 0)
        {
            sb.AppendLine("  alerts   none");
            return;
        }
        foreach (var a in alerts)
        {
            sb.Append("  alert    ").Append(a.AlertId).Append(" rule ").Append(a.RuleId).Append(" in ").Append(a.Index).Append(" at ").AppendLine(Time(a.At));
            AppendDeliveries(sb, [.. deliveries.Where(d => d.AlertId == a.AlertId)], "    ");
        }
    }

    private static void AppendDeliveries(StringBuilder sb, IReadOnlyList<LedgerDelivery> deliveries, string indent)
    {
        if (deliveries.Count == 0) sb.Append(indent).AppendLine("channels none recorded");
        foreach (var d in deliveries)
            sb.Append(indent).Append("channel  ").Append(d.Channel).Append(' ').Append(d.Outcome).Append(" at ").Append(Time(d.At))
              .AppendLine(d.DeadLetterId is { } dl ? $" (kept in {dl})" : "");
    }

    private static void WriteRecord(Utf8JsonWriter w, LedgerRecord r)
    {
        w.WriteStartObject();
        w.WriteString("record_id", r.RecordId);
        w.WriteStartObject("source");
        if (r.SourceKind != null) w.WriteString("kind", r.SourceKind);
        if (r.Source != null) w.WriteString("path", r.Source);
        if (r.Offset is { } o) w.WriteNumber("offset", o);
        if (r.HostName != null) w.WriteString("host", r.HostName);
        w.WriteString("event_time", Time(r.EventTime));
        w.WriteEndObject();
        w.WriteString("agent_id", r.AgentId);
        w.WriteNumber("batch_seq", r.BatchSeq);
        w.WriteString("stream", r.Stream);
        w.WriteNumber("stream_seq", r.StreamSeq);
        w.WriteString("received_at", Time(r.ReceivedAt));
        w.WriteString("engine", r.EngineInstance);
        w.WriteString("index", r.Index);
        w.WriteString("indexed_at", Time(r.IndexedAt));
        w.WriteEndObject();
    }

    private static void WriteAlertFields(Utf8JsonWriter w, LedgerAlert a)
    {
        w.WriteString("alert_id", a.AlertId);
        w.WriteString("rule_id", a.RuleId);
        w.WriteString("index", a.Index);
        w.WriteString("at", Time(a.At));
        w.WriteStartArray("record_ids");
        foreach (var r in a.RecordIds) w.WriteStringValue(r);
        w.WriteEndArray();
    }

    private static void WriteDeliveries(Utf8JsonWriter w, IEnumerable<LedgerDelivery> deliveries)
    {
        w.WriteStartArray("deliveries");
        foreach (var d in deliveries)
        {
            w.WriteStartObject();
            w.WriteString("channel", d.Channel);
            w.WriteString("outcome", d.Outcome);
            w.WriteString("at", Time(d.At));
            if (d.DeadLetterId != null) w.WriteString("dead_letter", d.DeadLetterId);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    }

    private static string Json(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(ms.ToArray());
    }

    private static string Time(Instant t) => InstantPattern.ExtendedIso.Format(t);
}
