using System.Text.Json;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

public static partial class WindowsEventJson
{
    /// <summary>Event.System → the names Sigma uses (EventID, Channel, Computer, Provider_Name, ...).</summary>
    private static void MapSystem(JsonElement system, LogEvent e)
    {
        if (system.ValueKind != JsonValueKind.Object)
        {
            return;
        }
        foreach (var p in system.EnumerateObject())
        {
            switch (p.Name)
            {
                case "Provider":
                    SetAttribute(p.Value, "Name", "Provider_Name", e);
                    SetAttribute(p.Value, "Guid", "Provider_Guid", e);
                    SetAttribute(p.Value, "EventSourceName", "Provider_EventSourceName", e);
                    break;
                case "TimeCreated":
                    SetAttribute(p.Value, "SystemTime", "TimeCreated", e);
                    break;
                case "Execution":
                    SetAttribute(p.Value, "ProcessID", "winlog.process.pid", e);
                    SetAttribute(p.Value, "ThreadID", "winlog.process.thread.id", e);
                    break;
                case "Security":
                    SetAttribute(p.Value, "UserID", "winlog.user.identifier", e);
                    break;
                case "Correlation":
                    SetAttribute(p.Value, "ActivityID", "winlog.activity_id", e);
                    break;
                default:
                    if (Text(p.Value) is { } value)
                    {
                        e.Set(p.Name, value);
                    }
                    break;
            }
        }
    }

    /// <summary>
    /// EventData / UserData payload in any of its JSON renderings: an object of name → value, a "Data" list of
    /// {"@Name"|"#attributes":{"Name"}, "#text"} items, or such a list directly.
    /// </summary>
    private static void AddData(JsonElement data, LogEvent e)
    {
        switch (data.ValueKind)
        {
            case JsonValueKind.Object:
                if (NamedItem(data, out string? itemName, out var itemValue))
                {
                    SetValue(itemName, itemValue, e);
                    return;
                }
                foreach (var p in data.EnumerateObject())
                {
                    if (p.Name == "#attributes")
                    {
                        continue;
                    }
                    if (p.Name == "Data" && p.Value.ValueKind is JsonValueKind.Array or JsonValueKind.Object)
                    {
                        AddData(p.Value, e);
                    }
                    else
                    {
                        SetValue(p.Name, p.Value, e);
                    }
                }
                break;
            case JsonValueKind.Array:
                foreach (var item in data.EnumerateArray())
                {
                    if (item.ValueKind == JsonValueKind.Object)
                    {
                        AddData(item, e);
                    }
                    else if (Text(item) is { } unnamed)
                    {
                        e.Add("Data", unnamed);
                    }
                }
                break;
            default:
                break;
        }
    }

    private static bool NamedItem(JsonElement item, out string? name, out JsonElement value)
    {
        value = default;
        name = null;
        if (item.TryGetProperty("@Name", out var n) || (item.TryGetProperty("#attributes", out var attributes)
            && attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty("Name", out n)))
        {
            name = n.ValueKind == JsonValueKind.String ? n.GetString() : null;
            item.TryGetProperty("#text", out value);
            // <EventData Name="TaskDisabled"><TaskName>..</TaskName></EventData> also carries a Name attribute,
            // but it is a container: its child elements are the fields, not one named value.
            return name is not null && !HasChildElements(item);
        }
        return false;
    }

    private static bool HasChildElements(JsonElement item)
    {
        foreach (var p in item.EnumerateObject())
        {
            if (p.Name != "#text" && p.Name != "#attributes" && !p.Name.StartsWith('@'))
            {
                return true;
            }
        }
        return false;
    }

    private static void SetValue(string? name, JsonElement value, LogEvent e)
    {
        if (string.IsNullOrEmpty(name))
        {
            return;
        }
        if (value.ValueKind == JsonValueKind.Array)
        {
            JsonFlattener.Flatten(value, name, e);
        }
        else if (value.ValueKind == JsonValueKind.Object && !value.TryGetProperty("#text", out _))
        {
            JsonFlattener.Flatten(value, name, e);
        }
        else if (Text(value) is { } text)
        {
            e.Set(name, text);
        }
    }

    /// <summary>A scalar, or the "#text" of an element rendered as an object (<c>{"#text": "4688", "#attributes": ...}</c>).</summary>
    private static string? Text(JsonElement value) =>
        value.ValueKind == JsonValueKind.Object
            ? (value.TryGetProperty("#text", out var t) ? JsonFlattener.Scalar(t) : null)
            : JsonFlattener.Scalar(value);

    private static void SetAttribute(JsonElement element, string attribute, string field, LogEvent e)
    {
        if (element.ValueKind == JsonValueKind.Object && element.TryGetProperty("#attributes", out var attributes)
            && attributes.ValueKind == JsonValueKind.Object && attributes.TryGetProperty(attribute, out var v)
            && JsonFlattener.Scalar(v) is { } text)
        {
            e.Set(field, text);
        }
    }
}
