using System.Text.Json;
using Siem.Core.Events;

namespace Siem.Lineage.Subjects;

/// <summary>
/// Which fields identify a data subject. A record carrying a value in one of <see cref="Fields"/> is indexed in the
/// ledger under that value's pseudonym. <c>host.name</c> names a person only on personal devices: it counts when it is
/// listed in <see cref="Fields"/> (every host is personal) or when the host is one of <see cref="PersonalHosts"/>.
/// Loaded from <c>&lt;data&gt;/lineage/subjects.json</c> (<c>{"fields": [...], "personal_hosts": [...]}</c>) when present.
/// </summary>
public sealed record SubjectFieldOptions
{
    public static IReadOnlyList<string> DefaultFields { get; } =
    [
        EcsFields.UserName, EcsFields.UserEmail, EcsFields.UserTargetName,
        EcsFields.SourceIp, EcsFields.DestinationIp, "client.ip",
    ];

    public static SubjectFieldOptions Default { get; } = new();

    public IReadOnlyList<string> Fields { get; init; } = DefaultFields;

    /// <summary>Host names (case-insensitive) of personal devices; their <c>host.name</c> identifies a person.</summary>
    public IReadOnlyList<string> PersonalHosts { get; init; } = [];

    /// <summary>The options in <c>&lt;data&gt;/lineage/subjects.json</c>, or <see cref="Default"/> when the file does not exist.</summary>
    public static SubjectFieldOptions Load(string dataDir)
    {
        var path = LineagePaths.SubjectFields(dataDir);
        if (!File.Exists(path)) return Default;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            var options = Default;
            if (root.TryGetProperty("fields", out var fields)) options = options with { Fields = Strings(fields, path, "fields") };
            if (root.TryGetProperty("personal_hosts", out var hosts)) options = options with { PersonalHosts = Strings(hosts, path, "personal_hosts") };
            return options;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"subject fields file '{path}' is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
    }

    private static List<string> Strings(JsonElement array, string path, string property)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"subject fields file '{path}': \"{property}\" must be an array of strings");
        var list = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new InvalidDataException($"subject fields file '{path}': \"{property}\" item {list.Count} must be a non-empty string");
            list.Add(item.GetString()!.Trim());
        }
        return list;
    }
}
