using System.Buffers;
using System.Text.Json;
using NodaTime;

namespace Siem.Lineage.Hops;

/// <summary>
/// The wire form of hops on <c>siem.lineage.&gt;</c>: compact JSON, times as Unix ticks (100 ns), subject ids only.
/// Decoding a malformed hop throws <see cref="FormatException"/> naming the missing or wrong property.
/// </summary>
internal static class LineageJson
{
    public static byte[] Encode(BatchLineage b) => Write(w =>
    {
        w.WriteString("agent_id", b.AgentId);
        w.WriteNumber("batch_seq", b.BatchSeq);
        w.WriteString("stream", b.Stream);
        w.WriteNumber("stream_seq", b.StreamSeq);
        w.WriteString("engine", b.EngineInstance);
        w.WriteString("index", b.Index);
        w.WriteNumber("received_at", b.ReceivedAt.ToUnixTimeTicks());
        w.WriteNumber("indexed_at", b.IndexedAt.ToUnixTimeTicks());
        w.WriteStartArray("records");
        foreach (var r in b.Records)
        {
            w.WriteStartObject();
            w.WriteString("id", r.RecordId);
            if (r.HostName != null) w.WriteString("host", r.HostName);
            if (r.SourceKind != null) w.WriteString("source_kind", r.SourceKind);
            if (r.Source != null) w.WriteString("source", r.Source);
            if (r.Offset is { } o) w.WriteNumber("offset", o);
            w.WriteNumber("event_time", r.EventTime.ToUnixTimeTicks());
            WriteStrings(w, "subjects", r.SubjectIds);
            w.WriteEndObject();
        }
        w.WriteEndArray();
    });

    public static byte[] Encode(AlertLineage a) => Write(w =>
    {
        w.WriteString("alert_id", a.AlertId);
        w.WriteString("rule_id", a.RuleId);
        WriteStrings(w, "records", a.RecordIds);
        WriteStrings(w, "subjects", a.SubjectIds);
        w.WriteString("index", a.Index);
        w.WriteNumber("at", a.At.ToUnixTimeTicks());
        if (a.Stream != null && a.StreamSeq is { } seq)
        {
            w.WriteString("stream", a.Stream);
            w.WriteNumber("stream_seq", seq);
        }
    });

    public static byte[] Encode(DeliveryLineage d) => Write(w =>
    {
        w.WriteString("alert_id", d.AlertId);
        w.WriteString("channel", d.Channel);
        w.WriteString("outcome", d.Outcome);
        w.WriteNumber("at", d.At.ToUnixTimeTicks());
        if (d.DeadLetterId != null) w.WriteString("dead_letter_id", d.DeadLetterId);
    });

    public static BatchLineage DecodeBatch(ReadOnlySpan<byte> json) => Read(json, "batch", root =>
    {
        var records = new List<RecordLineage>();
        foreach (var r in Prop(root, "records", JsonValueKind.Array, "batch").EnumerateArray())
        {
            records.Add(new RecordLineage(
                Str(r, "id", "record"), OptStr(r, "host"), OptStr(r, "source_kind"), OptStr(r, "source"),
                r.TryGetProperty("offset", out var o) ? o.GetInt64() : null,
                Time(r, "event_time", "record"), Strings(r, "subjects", "record")));
        }
        return new BatchLineage(
            Str(root, "agent_id", "batch"), Prop(root, "batch_seq", JsonValueKind.Number, "batch").GetUInt64(),
            Str(root, "stream", "batch"), Prop(root, "stream_seq", JsonValueKind.Number, "batch").GetUInt64(),
            Str(root, "engine", "batch"), Str(root, "index", "batch"),
            Time(root, "received_at", "batch"), Time(root, "indexed_at", "batch"), records);
    });

    /// <summary>An alert hop; one from an engine before alert sequences has no <c>stream</c>/<c>stream_seq</c>.</summary>
    public static AlertLineage DecodeAlert(ReadOnlySpan<byte> json) => Read(json, "alert", root =>
    {
        string? stream = OptStr(root, "stream");
        ulong? seq = stream == null ? null : Prop(root, "stream_seq", JsonValueKind.Number, "alert").GetUInt64();
        return new AlertLineage(
            Str(root, "alert_id", "alert"), Str(root, "rule_id", "alert"), Strings(root, "records", "alert"),
            Strings(root, "subjects", "alert"), Str(root, "index", "alert"), Time(root, "at", "alert"), stream, seq);
    });

    public static DeliveryLineage DecodeDelivery(ReadOnlySpan<byte> json) => Read(json, "delivery", root => new DeliveryLineage(
        Str(root, "alert_id", "delivery"), Str(root, "channel", "delivery"), Str(root, "outcome", "delivery"),
        Time(root, "at", "delivery"), OptStr(root, "dead_letter_id")));

    private static byte[] Write(Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStrings(Utf8JsonWriter w, string name, IReadOnlyList<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static T Read<T>(ReadOnlySpan<byte> json, string what, Func<JsonElement, T> build)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using var doc = JsonDocument.ParseValue(ref reader);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new FormatException($"lineage {what} hop is not a JSON object");
            return build(doc.RootElement);
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            throw new FormatException($"lineage {what} hop is malformed: {ex.Message}", ex);
        }
    }

    private static JsonElement Prop(JsonElement e, string name, JsonValueKind kind, string what) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == kind ? v : throw new FormatException($"lineage {what} hop: \"{name}\" is missing or not a {kind.ToString().ToLowerInvariant()}");

    private static string Str(JsonElement e, string name, string what) => Prop(e, name, JsonValueKind.String, what).GetString()!;

    private static string? OptStr(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static Instant Time(JsonElement e, string name, string what) => Instant.FromUnixTimeTicks(Prop(e, name, JsonValueKind.Number, what).GetInt64());

    private static List<string> Strings(JsonElement e, string name, string what)
    {
        var list = new List<string>();
        foreach (var item in Prop(e, name, JsonValueKind.Array, what).EnumerateArray())
            list.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw new FormatException($"lineage {what} hop: \"{name}\" must hold strings"));
        return list;
    }
}
