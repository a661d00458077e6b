using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Windows events as JSON: the flat OTRF style (one object with <c>EventID</c>, <c>Image</c>, <c>Channel</c>, ...) and
/// the nested rendering of event XML (<c>{"Event":{"System":{...},"EventData":{...}}}</c>). Native field names are kept
/// so Sigma rules match without a mapping, and ECS fields are added.
/// </summary>
public static partial class WindowsEventJson
{
    private static readonly SyslogTime UtcTime = new(DateTimeZone.Utc, SystemClock.Instance);

    /// <summary>True for a nested <c>Event.System</c> document or a flat object with <c>EventID</c>.</summary>
    public static bool IsWindowsEvent(JsonElement root) =>
        root.ValueKind == JsonValueKind.Object
        && ((root.TryGetProperty("Event", out var ev) && ev.ValueKind == JsonValueKind.Object && ev.TryGetProperty("System", out _))
            || root.TryGetProperty("EventID", out _));

    /// <summary>One event from one document (e.g. a Sigma regression case file read as a whole).</summary>
    /// <param name="document">The document's root object.</param>
    /// <param name="recordId">Id of the record; use <see cref="RecordIds.For"/> for a stable one.</param>
    /// <param name="original">The document text kept as the original; default: the element's raw JSON.</param>
    /// <param name="agentId">Agent id put on the event.</param>
    /// <param name="defaultHost"><c>host.name</c> when the document names no computer.</param>
    public static LogEvent ToLogEvent(JsonElement document, string recordId, string? original = null, string agentId = "", string? defaultHost = null)
    {
        if (document.ValueKind != JsonValueKind.Object)
        {
            throw new ArgumentException($"A Windows event document must be a JSON object, not {document.ValueKind}.", nameof(document));
        }
        var e = new LogEvent
        {
            RecordId = recordId,
            AgentId = agentId,
            Original = original ?? document.GetRawText(),
            Timestamp = SystemClock.Instance.GetCurrentInstant(),
        };
        e.Set(EcsFields.EventKind, "event");
        Map(document, e, defaultHost ?? Environment.MachineName);
        return e;
    }

    /// <summary>
    /// Every document in <paramref name="json"/>: one object, several objects one after another (some regression
    /// files hold more than one, pretty-printed), or one per line. Record ids come from <paramref name="sourceKey"/>
    /// and each document's byte offset.
    /// </summary>
    /// <exception cref="JsonException">The text is not a sequence of JSON objects; the message names the position.</exception>
    public static IReadOnlyList<LogEvent> ReadDocuments(string json, string sourceKey, string agentId = "", string? defaultHost = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        // A BOM left in the text (read without BOM detection) is not JSON: skip it, offsets then count from after it.
        var bytes = Encoding.UTF8.GetBytes(json.TrimStart('\uFEFF'));
        var events = new List<LogEvent>();
        var reader = new Utf8JsonReader(bytes, new JsonReaderOptions { AllowMultipleValues = true, CommentHandling = JsonCommentHandling.Skip });
        while (reader.Read())
        {
            long start = reader.TokenStartIndex;
            using var doc = JsonDocument.ParseValue(ref reader);
            long end = reader.BytesConsumed;
            string original = Encoding.UTF8.GetString(bytes, (int)start, (int)(end - start));
            events.Add(ToLogEvent(doc.RootElement, RecordIds.For(agentId, sourceKey, start), original, agentId, defaultHost));
        }
        return events;
    }

    /// <summary>Writes native and ECS fields of a Windows event document into <paramref name="e"/>.</summary>
    internal static void Map(JsonElement root, LogEvent e, string defaultHost)
    {
        if (root.TryGetProperty("Event", out var ev) && ev.ValueKind == JsonValueKind.Object && ev.TryGetProperty("System", out var system))
        {
            MapSystem(system, e);
            if (ev.TryGetProperty("EventData", out var data))
            {
                AddData(data, e);
            }
            if (ev.TryGetProperty("UserData", out var userData) && userData.ValueKind == JsonValueKind.Object)
            {
                // UserData wraps the payload in one element named after the event (e.g. Operation_ClientFailure).
                foreach (var wrapper in userData.EnumerateObject())
                {
                    if (wrapper.Name != "#attributes")
                    {
                        AddData(wrapper.Value, e);
                    }
                }
            }
        }
        else
        {
            JsonFlattener.Flatten(root, "", e);
            CopyIfMissing(e, "SourceName", "Provider_Name");
            CopyIfMissing(e, "Hostname", "Computer");
        }
        AddEcs(e, defaultHost);
    }

    private static void AddEcs(LogEvent e, string defaultHost)
    {
        Copy(e, "EventID", EcsFields.EventCode);
        e.Set(EcsFields.HostName, e.Get("Computer") ?? e.Get("Hostname") ?? defaultHost);
        Copy(e, "Channel", EcsFields.WinlogChannel);
        Copy(e, "Provider_Name", EcsFields.WinlogProviderName);
        Copy(e, "EventRecordID", EcsFields.WinlogRecordId);
        if (!Copy(e, "Image", EcsFields.ProcessExecutable))
        {
            Copy(e, "NewProcessName", EcsFields.ProcessExecutable);
        }
        if (e.Get(EcsFields.ProcessExecutable) is { } exe)
        {
            int slash = exe.LastIndexOf('\\');
            e.Set(EcsFields.ProcessName, exe[(slash + 1)..]);
        }
        Copy(e, "CommandLine", EcsFields.ProcessCommandLine);
        if (!Copy(e, "ParentImage", EcsFields.ProcessParentExecutable))
        {
            Copy(e, "ParentProcessName", EcsFields.ProcessParentExecutable);
        }
        if (e.Get("ProcessId") is { } pid && SyslogTime.Digits(pid, out _))
        {
            e.Set(EcsFields.ProcessPid, pid);
        }
        string? user = e.Get("User") ?? e.Get("TargetUserName") ?? e.Get("SubjectUserName");
        if (!string.IsNullOrEmpty(user) && user != "-")
        {
            int slash = user.IndexOf('\\', StringComparison.Ordinal);
            e.Set(EcsFields.UserName, slash < 0 ? user : user[(slash + 1)..]);
            if (slash > 0)
            {
                e.Set("user.domain", user[..slash]);
            }
        }
        foreach (string name in (ReadOnlySpan<string>)["@timestamp", "TimeCreated", "UtcTime"])
        {
            if (e.Get(name) is { Length: > 0 } t && UtcTime.TryIso(t, out var instant, spaceSeparated: true) == t.Length)
            {
                e.Timestamp = instant;
                break;
            }
        }
    }

    private static bool Copy(LogEvent e, string from, string to)
    {
        if (e.Get(from) is { Length: > 0 } value)
        {
            e.Set(to, value);
            return true;
        }
        return false;
    }

    private static void CopyIfMissing(LogEvent e, string from, string to)
    {
        if (e.Get(to) is null && e.Get(from) is { } value)
        {
            e.Set(to, value);
        }
    }
}
