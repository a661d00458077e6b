using System.Security.Cryptography;
using System.Text.Encodings.Web;
using System.Text.Json;
using NodaTime;
using NodaTime.Text;

namespace Siem.Lineage.Audit;

/// <summary>
/// The byte form an audit entry is hashed over, and its line form. Canonical = keys in ordinal order
/// (action, actor, details (keys sorted), prev, seq, target, time), no whitespace, the relaxed JSON escaper,
/// time as ISO-8601 UTC with 9 fraction digits. Recomputed from parsed values on verification, so the line's own
/// formatting does not matter; its values do.
/// </summary>
internal static class AuditCanonical
{
    public const string GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000";

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping, Indented = false };
    private static readonly InstantPattern TimePattern = InstantPattern.CreateWithInvariantCulture("uuuu'-'MM'-'dd'T'HH':'mm':'ss;fffffffff'Z'");

    public static string FormatTime(Instant t) => TimePattern.Format(t);

    public static bool TryParseTime(string? s, out Instant t)
    {
        var r = s == null ? null : InstantPattern.ExtendedIso.Parse(s);
        t = r is { Success: true } ? r.Value : default;
        return r is { Success: true };
    }

    public static string Hash(long seq, Instant time, string actor, string action, string target, IReadOnlyDictionary<string, string> details, string prev)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("action", action);
            w.WriteString("actor", actor);
            w.WriteStartObject("details");
            foreach (var kv in details.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
            w.WriteEndObject();
            w.WriteString("prev", prev);
            w.WriteNumber("seq", seq);
            w.WriteString("target", target);
            w.WriteString("time", FormatTime(time));
            w.WriteEndObject();
        }
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)));
    }

    /// <summary>The line as stored: the canonical fields in a reading order, plus the hash; ends with '\n'.</summary>
    public static byte[] Line(AuditEntry e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteNumber("seq", e.Seq);
            w.WriteString("time", FormatTime(e.Time));
            w.WriteString("actor", e.Actor);
            w.WriteString("action", e.Action);
            w.WriteString("target", e.Target);
            w.WriteStartObject("details");
            foreach (var kv in e.Details.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteString(kv.Key, kv.Value);
            w.WriteEndObject();
            w.WriteString("prev", e.PrevHash);
            w.WriteString("hash", e.Hash);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        return buffer.ToArray();
    }

    /// <summary>Parses one stored line; null with the problem when it is not a well-formed entry.</summary>
    public static AuditEntry? Parse(ReadOnlySpan<byte> line, out string? problem)
    {
        problem = null;
        try
        {
            using var doc = JsonDocument.Parse(line.ToArray());
            var r = doc.RootElement;
            if (r.ValueKind != JsonValueKind.Object) { problem = "not a JSON object"; return null; }
            if (!r.TryGetProperty("seq", out var seqEl) || !seqEl.TryGetInt64(out long seq)) { problem = "missing or invalid 'seq'"; return null; }
            string? Str(string name) => r.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            if (!TryParseTime(Str("time"), out var time)) { problem = "missing or invalid 'time'"; return null; }
            var details = new Dictionary<string, string>(StringComparer.Ordinal);
            if (r.TryGetProperty("details", out var d))
            {
                if (d.ValueKind != JsonValueKind.Object) { problem = "'details' is not an object"; return null; }
                foreach (var p in d.EnumerateObject())
                {
                    if (p.Value.ValueKind != JsonValueKind.String) { problem = $"details.{p.Name} is not a string"; return null; }
                    details[p.Name] = p.Value.GetString()!;
                }
            }
            string? actor = Str("actor"), action = Str("action"), target = Str("target"), prev = Str("prev"), hash = Str("hash");
            if (actor == null || action == null || target == null || prev == null || hash == null)
            {
                problem = "missing one of 'actor', 'action', 'target', 'prev', 'hash'";
                return null;
            }
            return new AuditEntry(seq, time, actor, action, target, details, prev, hash);
        }
        catch (JsonException ex)
        {
            problem = $"not valid JSON ({ex.Message})";
            return null;
        }
    }
}
