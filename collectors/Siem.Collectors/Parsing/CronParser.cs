using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>Debian cron: <c>(root) CMD (command -v debian-sa1 &gt; /dev/null &amp;&amp; debian-sa1 1 1)</c>.</summary>
internal static class CronParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        if (!m.StartsWith("("))
        {
            return false;
        }
        int close = m.IndexOf(") CMD (");
        if (close < 0 || !m.EndsWith(")"))
        {
            return false;
        }
        e.Set(EcsFields.UserName, m[1..close].ToString());
        // The command may contain parentheses itself: take everything up to the final one.
        e.Set(EcsFields.ProcessCommandLine, m[(close + 7)..^1].ToString());
        ProgramParsers.Set(e, "process", "start", "cron_command", success: null);
        return true;
    }
}
