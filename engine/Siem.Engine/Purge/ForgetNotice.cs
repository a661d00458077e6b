using System.Text.Json;

namespace Siem.Engine.Purge;

/// <summary>
/// A <see cref="SubjectForgetting"/> as announced to running engines in <see cref="Control.LiveChanges"/>: ids only,
/// never the value, split in parts of at most <see cref="IdsPerPart"/> ids so a part stays far below the broker's
/// max_payload. <c>{"job","part","parts","records":[..],"alerts":[..]}</c>.
/// </summary>
public static class ForgetNotice
{
    public const int IdsPerPart = 4000;

    public static IEnumerable<byte[]> Encode(SubjectForgetting forget)
    {
        ArgumentNullException.ThrowIfNull(forget);
        var ids = forget.RecordIds.Order(StringComparer.Ordinal).Select(id => (Alert: false, Id: id))
            .Concat(forget.AlertIds.Order(StringComparer.Ordinal).Select(id => (Alert: true, Id: id)))
            .Chunk(IdsPerPart).ToList();
        if (ids.Count == 0) ids.Add([]);
        for (int part = 0; part < ids.Count; part++)
        {
            yield return JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
            {
                ["job"] = forget.JobId,
                ["part"] = part,
                ["parts"] = ids.Count,
                ["records"] = ids[part].Where(i => !i.Alert).Select(i => i.Id).ToArray(),
                ["alerts"] = ids[part].Where(i => i.Alert).Select(i => i.Id).ToArray(),
            });
        }
    }

    /// <summary>Reads one part; throws <see cref="InvalidDataException"/> naming what is wrong.</summary>
    public static SubjectForgetting Decode(ReadOnlySpan<byte> json)
    {
        try
        {
            using var doc = JsonDocument.Parse(json.ToArray());
            var root = doc.RootElement;
            string job = root.TryGetProperty("job", out var j) && j.ValueKind == JsonValueKind.String ? j.GetString()! : throw new InvalidDataException("purge notice: missing 'job'");
            return new SubjectForgetting
            {
                JobId = job,
                RecordIds = Ids(root, "records", job),
                AlertIds = Ids(root, "alerts", job),
            };
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"purge notice is not valid JSON: {ex.Message}", ex);
        }
    }

    private static HashSet<string> Ids(JsonElement root, string name, string job)
    {
        if (!root.TryGetProperty(name, out var arr) || arr.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"purge notice of {job}: '{name}' must be an array of ids");
        return new HashSet<string>(arr.EnumerateArray().Select(e => e.GetString() ?? throw new InvalidDataException($"purge notice of {job}: '{name}' holds a non-string")), StringComparer.Ordinal);
    }
}
