using System.Globalization;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Web server access logs in the NCSA common and combined formats (Apache's and nginx's defaults):
/// <c>203.0.113.7 - alice [22/Nov/2026:10:00:00 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "referer" "agent"</c>.
/// ECS fields (source.ip, http.*, url.*, user_agent.original) and event.category web; the default pipeline maps
/// Sigma's webserver taxonomy (cs-uri-query, cs-user-agent, sc-status, ...) onto them. Span-based, no Regex.
/// </summary>
internal static class AccessLogParser
{
    /// <summary>Fills <paramref name="e"/> from an access-log line; false (and nothing set) if the line is not one.</summary>
    public static bool TryParse(ReadOnlySpan<char> line, LogEvent e)
    {
        // client ident user [time] "request" status bytes ["referer" "agent"]
        if (!Word(ref line, out var client) || !Word(ref line, out _) || !Word(ref line, out var user)) return false;
        line = line.TrimStart(' ');
        if (!line.StartsWith("[")) return false;
        int close = line.IndexOf(']');
        if (close < 0 || !TryTime(line[1..close], out var time)) return false;
        line = line[(close + 1)..].TrimStart(' ');
        if (!Quoted(ref line, out var request)) return false;
        if (!Word(ref line, out var status) || status.Length != 3 || !int.TryParse(status, NumberStyles.None, CultureInfo.InvariantCulture, out _)) return false;
        Word(ref line, out var bytes);
        Quoted(ref line, out var referer);
        Quoted(ref line, out var agent);

        e.Timestamp = time;
        e.Set(EcsFields.EventKind, "event");
        e.Set(EcsFields.EventCategory, "web");
        e.Set(System.Net.IPAddress.TryParse(client, out _) ? EcsFields.SourceIp : EcsFields.SourceDomain, client.ToString());
        if (user is not "-") e.Set(EcsFields.UserName, user.ToString());
        Request(request, e);
        e.Set("http.response.status_code", status.ToString());
        e.Set(EcsFields.EventOutcome, status[0] is '4' or '5' ? "failure" : "success");
        if (!bytes.IsEmpty && bytes is not "-") e.Set("http.response.body.bytes", bytes.ToString());
        if (!referer.IsEmpty && referer is not "-") e.Set("http.request.referrer", referer.ToString());
        if (!agent.IsEmpty && agent is not "-") e.Set("user_agent.original", agent.ToString());
        return true;
    }

    /// <summary>"GET /path?query HTTP/1.1"; anything else (a scanner's junk) is kept whole as url.original.</summary>
    private static void Request(ReadOnlySpan<char> request, LogEvent e)
    {
        int first = request.IndexOf(' ');
        int last = request.LastIndexOf(' ');
        if (first <= 0)
        {
            if (!request.IsEmpty && request is not "-") e.Set("url.original", request.ToString());
            return;
        }
        e.Set("http.request.method", request[..first].ToString());
        var target = last > first && request[(last + 1)..].StartsWith("HTTP/") ? request[(first + 1)..last] : request[(first + 1)..];
        if (last > first && request[(last + 1)..].StartsWith("HTTP/")) e.Set("http.version", request[(last + 6)..].ToString());
        e.Set("url.original", target.ToString());
        int q = target.IndexOf('?');
        e.Set("url.path", (q < 0 ? target : target[..q]).ToString());
        if (q >= 0 && q + 1 < target.Length) e.Set("url.query", target[(q + 1)..].ToString());
    }

    private static bool Word(ref ReadOnlySpan<char> s, out ReadOnlySpan<char> word)
    {
        s = s.TrimStart(' ');
        int end = s.IndexOf(' ');
        word = end < 0 ? s : s[..end];
        s = end < 0 ? [] : s[end..];
        return !word.IsEmpty;
    }

    /// <summary>A double-quoted field; <c>\"</c> inside is an escaped quote (nginx and Apache escape them so).</summary>
    private static bool Quoted(ref ReadOnlySpan<char> s, out ReadOnlySpan<char> value)
    {
        s = s.TrimStart(' ');
        value = default;
        if (!s.StartsWith("\"")) return false;
        for (int i = 1; i < s.Length; i++)
        {
            if (s[i] == '\\') { i++; continue; }
            if (s[i] == '"')
            {
                value = s[1..i];
                s = s[(i + 1)..];
                return true;
            }
        }
        return false;
    }

    /// <summary>22/Nov/2026:10:00:00 +0000</summary>
    private static bool TryTime(ReadOnlySpan<char> s, out Instant time)
    {
        time = default;
        int space = s.LastIndexOf(' ');
        if (space < 0) return false;
        var zone = s[(space + 1)..];
        if (zone.Length != 5 || zone[0] is not ('+' or '-')
            || !int.TryParse(zone[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out int hours)
            || !int.TryParse(zone[3..], NumberStyles.None, CultureInfo.InvariantCulture, out int minutes)
            || !DateTime.TryParseExact(s[..space], "dd/MMM/yyyy:HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var local))
        {
            return false;
        }
        var offset = new TimeSpan(hours, minutes, 0);
        time = Instant.FromDateTimeOffset(new DateTimeOffset(local, zone[0] == '-' ? -offset : offset));
        return true;
    }
}
