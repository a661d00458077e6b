using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>systemd-logind: <c>New session 41 of user deploy.</c>, <c>Session 41 logged out. ...</c>, <c>Removed session 41.</c></summary>
internal static class LogindParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        if (m.StartsWith("New session "))
        {
            var rest = m[12..];
            int of = rest.IndexOf(" of user ");
            if (of <= 0)
            {
                return false;
            }
            e.Set("session.id", rest[..of].ToString());
            e.Set(EcsFields.UserName, rest[(of + 9)..].TrimEnd('.').ToString());
            ProgramParsers.Set(e, "session", "start", "logind_session_new", success: true);
            return true;
        }
        if (m.StartsWith("Removed session "))
        {
            e.Set("session.id", m[16..].TrimEnd('.').ToString());
            ProgramParsers.Set(e, "session", "end", "logind_session_removed", success: true);
            return true;
        }
        if (m.StartsWith("Session ") && m.IndexOf(" logged out.") is > 8 and var end)
        {
            e.Set("session.id", m[8..end].ToString());
            ProgramParsers.Set(e, "session", "end", "logind_session_logged_out", success: true);
            return true;
        }
        return false;
    }
}
