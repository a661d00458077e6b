using System.Text.Json;
using NodaTime;
using Siem.Collectors.Sources;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>One JSON object per line: Windows event JSON (flat OTRF or nested Event/System/EventData), auoms, or any object.</summary>
internal static class JsonLineParser
{
    private static readonly string[] TimeFields = ["@timestamp", "timestamp", "time"];

    public static LogEvent Parse(ParserPipeline pipeline, in RawLine line, string text)
    {
        int maxDepth = pipeline.Options.MaxJsonDepth;
        var check = JsonLineScanner.Check(text, maxDepth);
        if (check.Error is not null)
        {
            // Not JSON from some point on: the line whole in message, tagged, plus every field read before the break.
            var failed = pipeline.Failure(line, text);
            failed.Set("error.message", $"invalid JSON at character {check.ErrorAt + 1}: {check.Error}");
            JsonLineScanner.FlattenPrefix(text, maxDepth, failed);
            return failed;
        }
        // Valid JSON: JsonDocument cannot throw on it now; lone surrogates (which GetString would throw on) read as U+FFFD.
        using var document = JsonDocument.Parse(check.Sanitize(text), new JsonDocumentOptions { MaxDepth = maxDepth });
        var e = Map(pipeline, line, text, document.RootElement);
        if (check.NeedsSanitizing)
        {
            e.Add(EcsFields.Tags, EcsFields.InvalidUtf8Tag);
        }
        return e;
    }

    private static LogEvent Map(ParserPipeline pipeline, in RawLine line, string text, JsonElement root)
    {
        var e = pipeline.NewEvent(line, text, 0);
        e.Set(EcsFields.EventKind, "event");
        if (WindowsEventJson.IsWindowsEvent(root))
        {
            WindowsEventJson.Map(root, e, pipeline.Options.HostName);
            return e;
        }
        JsonFlattener.Flatten(root, "", e);
        if (JournaldJson.IsJournalEntry(root))
        {
            JournaldJson.Map(root, e);
            return e;
        }
        foreach (string name in TimeFields)
        {
            if (root.TryGetProperty(name, out var t) && TryTime(t, pipeline.Time, out var instant))
            {
                e.Timestamp = instant;
                break;
            }
        }
        if (e.Get("SyslogMessage") is { } syslogMessage && syslogMessage.StartsWith("type=", StringComparison.Ordinal))
        {
            // auoms (Azure Monitor auditd forwarder): the audit record rides in SyslogMessage.
            AuditdEvents.MapAuoms(syslogMessage, e);
        }
        if (e.Get(EcsFields.HostName) is null)
        {
            e.Set(EcsFields.HostName, e.Get("host") ?? e.Get("HostName") ?? e.Get("Computer") ?? pipeline.Options.HostName);
        }
        return e;
    }

    internal static bool TryTime(JsonElement t, SyslogTime time, out Instant instant)
    {
        instant = default;
        if (t.ValueKind == JsonValueKind.String)
        {
            string s = t.GetString() ?? "";
            return s.Length > 0 && time.TryIso(s, out instant, spaceSeparated: true) == s.Length;
        }
        if (t.ValueKind == JsonValueKind.Number && t.TryGetDouble(out double n) && n > 0 && n < 1e14)
        {
            // Seconds or milliseconds since the epoch, told apart by size.
            instant = n > 1e11 ? Instant.FromUnixTimeMilliseconds((long)n) : Instant.FromUnixTimeTicks((long)(n * NodaConstants.TicksPerSecond));
            return true;
        }
        return false;
    }
}
