using System.Text.Json;

namespace Siem.Engine.Alerts;

public sealed partial class AlertSuppressor
{
    private const int SnapshotVersion = 1;

    /// <summary>The open alerts (group key, folded record ids, the alert document) as UTF-8 JSON, so a restart keeps folding into them.</summary>
    public byte[] Snapshot()
    {
        using var buffer = new MemoryStream();
        Capture()(buffer);
        return buffer.ToArray();
    }

    /// <summary>
    /// The open alerts as of now, written by the returned action later (on any thread): documents are immutable
    /// records, so only the folded record ids are copied.
    /// </summary>
    public Action<Stream> Capture()
    {
        var open = new (string Key, string[] Records, AlertDocument Doc)[_open.Count];
        int i = 0;
        foreach (var (key, alert) in _open) open[i++] = (key, alert.Order.ToArray(), alert.Doc);
        return stream =>
        {
            using var w = new Utf8JsonWriter(stream);
            w.WriteStartObject();
            w.WriteNumber("version", SnapshotVersion);
            w.WriteStartArray("open");
            foreach (var (key, records, doc) in open)
            {
                w.WriteStartObject();
                w.WriteString("key", key);
                w.WriteStartArray("records");
                foreach (var r in records) w.WriteStringValue(r);
                w.WriteEndArray();
                w.WritePropertyName("alert");
                AlertJson.Write(w, doc);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        };
    }

    /// <summary>Replaces the open alerts with a <see cref="Snapshot"/>; throws <see cref="InvalidDataException"/> when it cannot be read.</summary>
    public void Restore(byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        try
        {
            using var doc = JsonDocument.Parse(snapshot);
            var root = doc.RootElement;
            if (!root.TryGetProperty("version", out var v) || v.GetInt32() != SnapshotVersion)
                throw new InvalidDataException($"suppression snapshot version {(root.TryGetProperty("version", out var x) ? x.ToString() : "(none)")} is not supported (expected {SnapshotVersion})");
            var open = new Dictionary<string, OpenAlert>(StringComparer.Ordinal);
            foreach (var item in root.GetProperty("open").EnumerateArray())
            {
                var alert = AlertJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(item.GetProperty("alert").GetRawText()));
                var restored = new OpenAlert { Doc = alert };
                foreach (var r in item.GetProperty("records").EnumerateArray()) restored.Track(r.GetString() ?? "");
                open[item.GetProperty("key").GetString() ?? ""] = restored;
            }
            _open.Clear();
            foreach (var (k, o) in open) _open[k] = o;
            Version++;
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or NodaTime.Text.UnparsableValueException)
        {
            throw new InvalidDataException($"suppression snapshot is not readable: {ex.Message}", ex);
        }
    }
}
