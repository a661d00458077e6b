using System.Text.Json;

namespace Siem.Lineage.Shredding;

/// <summary>
/// What crypto-shredding covers, from <c>&lt;data&gt;/lineage/shredding.json</c>
/// (<c>{"fields": ["user.email"], "free_text": "sealed"}</c>; every key optional, the file too).
/// <see cref="Fields"/> are stored encrypted under their subject's key with a blind index. With
/// <see cref="SealFreeText"/> (<c>"free_text": "sealed"</c>, the default) a record's <c>message</c> and original line are
/// stored with those fields' values replaced by <c>[field]</c>, and the text as read is kept encrypted under the keys of
/// every subject it names (destroying any one of them makes it unreadable); <c>"plaintext"</c> stores the text as read.
/// </summary>
public sealed record ShreddingOptions
{
    public static ShreddingOptions Default { get; } = new();

    public IReadOnlyList<string> Fields { get; init; } = FieldProtector.DefaultFields;

    public bool SealFreeText { get; init; } = true;

    /// <summary>The file's keys with their defaults and meaning: the loader knows no others, and the configuration reference (deploy/CONFIG.md) is generated from these.</summary>
    public static IReadOnlyList<(string Key, string Default, string Description)> FileKeys { get; } =
    [
        ("fields", "[" + string.Join(", ", FieldProtector.DefaultFields) + "]",
            "fields stored encrypted under their subject's data key, searched through a blind index (HMAC); a purge destroys the key"),
        ("free_text", "sealed",
            "sealed: a record's message and original line are stored with its protected values replaced by [field], the line as read encrypted under the keys of every subject it names | plaintext: the line as read"),
    ];

    public static string PathIn(string dataDir) => Path.Combine(LineagePaths.Directory(dataDir), "shredding.json");

    /// <summary>The options of a data dir, or <see cref="Default"/> without the file; a bad file is an error naming it and the key.</summary>
    public static ShreddingOptions Load(string dataDir)
    {
        var path = PathIn(dataDir);
        if (!File.Exists(path)) return Default;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"shredding file '{path}' must hold a JSON object");
            var options = Default;
            foreach (var p in root.EnumerateObject())
            {
                options = p.Name switch
                {
                    "fields" => options with { Fields = Strings(p.Value, path) },
                    "free_text" => options with
                    {
                        SealFreeText = p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() switch
                        {
                            "sealed" => true,
                            "plaintext" => false,
                            var other => throw new InvalidDataException($"shredding file '{path}': \"free_text\" is '{other}'; use \"sealed\" (default) or \"plaintext\""),
                        } : throw new InvalidDataException($"shredding file '{path}': \"free_text\" must be \"sealed\" or \"plaintext\""),
                    },
                    _ => throw new InvalidDataException($"shredding file '{path}': unknown key \"{p.Name}\" (known: {string.Join(", ", FileKeys.Select(k => k.Key))})"),
                };
            }
            return options;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"shredding file '{path}' is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }
    }

    private static List<string> Strings(JsonElement array, string path)
    {
        if (array.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"shredding file '{path}': \"fields\" must be an array of field names");
        var list = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(item.GetString()))
                throw new InvalidDataException($"shredding file '{path}': \"fields\" item {list.Count} must be a non-empty string");
            list.Add(item.GetString()!.Trim());
        }
        return list;
    }
}
