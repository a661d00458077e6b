using System.Text.Json;

namespace Siem.Api.Tests.OpenApi;

/// <summary>Reads response schemas out of our OpenAPI (3.1) document and holds JSON values against them.</summary>
internal static class SchemaFinder
{
    /// <summary>The schema of one response (<paramref name="operation"/> = "get /api/alerts/{id}"), $ref resolved; null when there is none.</summary>
    public static JsonElement? Response(JsonElement doc, string operation, string status, string? mediaType)
    {
        var (method, path) = (operation[..operation.IndexOf(' ', StringComparison.Ordinal)], operation[(operation.IndexOf(' ', StringComparison.Ordinal) + 1)..]);
        var item = doc.GetProperty("paths").EnumerateObject().FirstOrDefault(p => p.Name.TrimEnd('/') == path.TrimEnd('/'));
        if (item.Value.ValueKind != JsonValueKind.Object || !item.Value.TryGetProperty(method, out var op)) return null;
        if (!op.TryGetProperty("responses", out var responses) || !responses.TryGetProperty(status, out var response)) return null;
        if (!response.TryGetProperty("content", out var content) || mediaType == null || !content.TryGetProperty(mediaType, out var media)) return null;
        return media.TryGetProperty("schema", out var schema) && IsDescribed(doc, schema) ? Resolve(doc, schema) : null;
    }

    /// <summary>A schema that says something: a $ref, a type, properties or items (an empty <c>{}</c> says nothing).</summary>
    public static bool IsDescribed(JsonElement doc, JsonElement schema)
    {
        var s = Resolve(doc, schema);
        return s.ValueKind == JsonValueKind.Object && (s.TryGetProperty("type", out _) || s.TryGetProperty("properties", out _) || s.TryGetProperty("oneOf", out _) || s.TryGetProperty("anyOf", out _));
    }

    public static JsonElement Resolve(JsonElement doc, JsonElement schema)
    {
        for (int i = 0; i < 10 && schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("$ref", out var r); i++)
        {
            var node = doc;
            foreach (var part in r.GetString()!.TrimStart('#', '/').Split('/')) node = node.GetProperty(part);
            schema = node;
        }
        return schema;
    }

    /// <summary>Adds a problem for every property the value has and the schema lacks (or the reverse), and for values of another JSON type.</summary>
    public static void Compare(JsonElement doc, JsonElement schema, JsonElement value, string where, List<string> problems, int depth = 0)
    {
        schema = Resolve(doc, schema);
        if (depth > 12 || value.ValueKind == JsonValueKind.Null) return;
        foreach (var choice in new[] { "oneOf", "anyOf" })
            if (schema.TryGetProperty(choice, out var options))
            {
                var fitting = options.EnumerateArray().Select(o => Resolve(doc, o)).FirstOrDefault(o => Fits(o, value.ValueKind));
                if (fitting.ValueKind == JsonValueKind.Undefined) problems.Add($"{where}: a {value.ValueKind} fits none of the {choice} schemas");
                else Compare(doc, fitting, value, where, problems, depth + 1);
                return;
            }
        if (!Fits(schema, value.ValueKind))
        {
            problems.Add($"{where}: a {value.ValueKind} where the schema says {schema.GetProperty("type")}");
            return;
        }
        if (value.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items", out var items))
        {
            foreach (var element in value.EnumerateArray().Take(20)) Compare(doc, items, element, where + "[]", problems, depth + 1);
        }
        else if (value.ValueKind == JsonValueKind.Object && schema.TryGetProperty("properties", out var properties))
        {
            var documented = properties.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            var sent = value.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            foreach (var extra in sent.Except(documented)) problems.Add($"{where}: '{extra}' is sent but not in the schema");
            foreach (var missing in documented.Except(sent)) problems.Add($"{where}: '{missing}' is in the schema but not sent");
            foreach (var p in value.EnumerateObject().Where(p => documented.Contains(p.Name)))
                Compare(doc, properties.GetProperty(p.Name), p.Value, where + "." + p.Name, problems, depth + 1);
        }
        else if (value.ValueKind == JsonValueKind.Object && schema.TryGetProperty("additionalProperties", out var valueSchema) && valueSchema.ValueKind == JsonValueKind.Object)
        {
            foreach (var p in value.EnumerateObject().Take(20)) Compare(doc, valueSchema, p.Value, where + "." + p.Name, problems, depth + 1);
        }
    }

    private static bool Fits(JsonElement schema, JsonValueKind kind)
    {
        if (!schema.TryGetProperty("type", out var type)) return true;
        var types = type.ValueKind == JsonValueKind.Array ? type.EnumerateArray().Select(t => t.GetString()).ToList() : [type.GetString()];
        return kind switch
        {
            JsonValueKind.String => types.Contains("string"),
            JsonValueKind.Number => types.Contains("integer") || types.Contains("number"),
            JsonValueKind.True or JsonValueKind.False => types.Contains("boolean"),
            JsonValueKind.Array => types.Contains("array"),
            JsonValueKind.Object => types.Contains("object"),
            _ => types.Contains("null"),
        };
    }
}
