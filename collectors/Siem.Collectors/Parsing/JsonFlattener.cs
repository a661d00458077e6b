using System.Text.Json;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>JSON objects → flat dotted fields: arrays of scalars become string[], numbers and booleans invariant strings.</summary>
internal static class JsonFlattener
{
    public static void Flatten(JsonElement element, string prefix, LogEvent e)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    Flatten(property.Value, prefix.Length == 0 ? property.Name : prefix + "." + property.Name, e);
                }
                break;
            case JsonValueKind.Array:
                if (prefix.Length == 0)
                {
                    return;
                }
                if (AllScalars(element))
                {
                    var values = new List<string>(element.GetArrayLength());
                    foreach (var item in element.EnumerateArray())
                    {
                        if (Scalar(item) is { } v)
                        {
                            values.Add(v);
                        }
                    }
                    e.Fields[prefix] = values.ToArray();
                }
                else
                {
                    // Arrays of objects have no flat form that keeps which value belonged to which object: keep the JSON.
                    e.Set(prefix, element.GetRawText());
                }
                break;
            default:
                if (prefix.Length > 0 && Scalar(element) is { } value)
                {
                    e.Set(prefix, value);
                }
                break;
        }
    }

    /// <summary>A scalar as text (numbers exactly as written, which is invariant); null for null, objects and arrays.</summary>
    public static string? Scalar(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    private static bool AllScalars(JsonElement array)
    {
        foreach (var item in array.EnumerateArray())
        {
            if (item.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
            {
                return false;
            }
        }
        return true;
    }
}
