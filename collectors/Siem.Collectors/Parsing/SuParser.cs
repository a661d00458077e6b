using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// util-linux su (Debian/Ubuntu): <c>(to root) alice on pts/0</c> and <c>FAILED SU (to root) alice on pts/0</c>;
/// shadow su: <c>Successful su for root by alice</c> and <c>FAILED su for root by alice</c>.
/// </summary>
internal static class SuParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        bool success = true;
        if (m.StartsWith("FAILED SU "))
        {
            success = false;
            m = m[10..];
        }
        if (m.StartsWith("(to "))
        {
            int close = m.IndexOf(") ");
            int on = m.LastIndexOf(" on ");
            if (close < 0 || on < close + 2)
            {
                return false;
            }
            e.Set(EcsFields.UserTargetName, m[4..close].ToString());
            e.Set(EcsFields.UserName, m[(close + 2)..on].ToString());
            e.Set("su.tty", m[(on + 4)..].ToString());
        }
        else if (m.StartsWith("Successful su for ") || m.StartsWith("FAILED su for "))
        {
            success = m[0] == 'S';
            var rest = m[(success ? 18 : 14)..];
            int by = rest.IndexOf(" by ");
            if (by < 0)
            {
                return false;
            }
            e.Set(EcsFields.UserTargetName, rest[..by].ToString());
            e.Set(EcsFields.UserName, rest[(by + 4)..].ToString());
        }
        else
        {
            return false;
        }
        ProgramParsers.Set(e, "authentication", success ? "start" : "info", "su", success);
        return true;
    }
}
