using System.Globalization;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// <c>journalctl -o json</c> entries: the syslog identity (SYSLOG_IDENTIFIER, _PID, _HOSTNAME, PRIORITY) becomes ECS and
/// MESSAGE goes through the same program parsers as a syslog line, so sshd via the journal maps like sshd via auth.log.
/// </summary>
internal static class JournaldJson
{
    public static bool IsJournalEntry(JsonElement root) =>
        root.TryGetProperty("__REALTIME_TIMESTAMP", out _) && root.TryGetProperty("MESSAGE", out _);

    public static void Map(JsonElement root, LogEvent e)
    {
        if (root.TryGetProperty("__REALTIME_TIMESTAMP", out var rt) && JsonFlattener.Scalar(rt) is { } micros
            && long.TryParse(micros, NumberStyles.None, CultureInfo.InvariantCulture, out long us) && us < 253402300799_000_000L)
        {
            e.Timestamp = Instant.FromUnixTimeTicks(us * 10);
        }
        string message = Message(root.GetProperty("MESSAGE"));
        e.Set(EcsFields.Message, message);
        string? program = Text(root, "SYSLOG_IDENTIFIER") ?? Text(root, "_COMM");
        if (program is not null)
        {
            e.Set(EcsFields.ProcessName, program);
            e.Set(EcsFields.LogSyslogAppName, program);
        }
        if ((Text(root, "_PID") ?? Text(root, "SYSLOG_PID")) is { } pid)
        {
            e.Set(EcsFields.ProcessPid, pid);
        }
        if (Text(root, "_HOSTNAME") is { } host)
        {
            e.Set(EcsFields.HostName, host);
        }
        if (Text(root, "PRIORITY") is { } priority)
        {
            e.Set(EcsFields.LogSyslogSeverity, priority);
        }
        if (Text(root, "SYSLOG_FACILITY") is { } facility)
        {
            e.Set(EcsFields.LogSyslogFacility, facility);
        }
        ProgramParsers.TryParseInto(program, message, e);
    }

    /// <summary>MESSAGE is a string, or an array of byte values when it was not valid UTF-8.</summary>
    private static string Message(JsonElement value)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            return JsonFlattener.Scalar(value) ?? "";
        }
        var bytes = new List<byte>(value.GetArrayLength());
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Number && item.TryGetByte(out byte b))
            {
                bytes.Add(b);
            }
        }
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static string? Text(JsonElement root, string name) =>
        root.TryGetProperty(name, out var v) ? JsonFlattener.Scalar(v) : null;
}
