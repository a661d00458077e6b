using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// sudo's log line: <c>alice : [reason ; ]TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt update</c>,
/// where reason is e.g. "3 incorrect password attempts" or "user NOT in sudoers".
/// </summary>
internal static class SudoParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        m = m.TrimStart(' ');
        int sep = m.IndexOf(" : ");
        if (sep <= 0)
        {
            return false;
        }
        var user = m[..sep];
        var rest = m[(sep + 3)..];
        string? reason = null;
        bool any = false;
        while (!rest.IsEmpty)
        {
            if (rest.StartsWith("COMMAND="))
            {
                // The command is last and may itself contain " ; ".
                e.Set(EcsFields.ProcessCommandLine, rest[8..].ToString());
                any = true;
                break;
            }
            int next = rest.IndexOf(" ; ");
            var part = next < 0 ? rest : rest[..next];
            int eq = part.IndexOf('=');
            if (eq > 0 && IsUpper(part[..eq]))
            {
                var value = part[(eq + 1)..].ToString();
                switch (part[..eq])
                {
                    case "TTY": e.Set("sudo.tty", value); break;
                    case "PWD": e.Set(EcsFields.ProcessWorkingDirectory, value); break;
                    case "USER": e.Set(EcsFields.UserEffectiveName, value); break;
                    case "GROUP": e.Set("sudo.group", value); break;
                    default: e.Set("sudo." + part[..eq].ToString().ToLowerInvariant(), value); break;
                }
                any = true;
            }
            else
            {
                reason ??= part.ToString();
            }
            rest = next < 0 ? default : rest[(next + 3)..];
        }
        if (!any)
        {
            return false;
        }
        e.Set(EcsFields.UserName, user.ToString());
        if (reason is null)
        {
            ProgramParsers.Set(e, "process", "start", "sudo_command", success: true);
            return true;
        }
        e.Set("sudo.error", reason);
        if (reason.Contains("incorrect password attempt", StringComparison.Ordinal))
        {
            ProgramParsers.Set(e, "authentication", "info", "sudo_auth_failure", success: false);
            int space = reason.IndexOf(' ', StringComparison.Ordinal);
            if (space > 0 && SyslogTime.Digits(reason.AsSpan(0, space), out _))
            {
                e.Set("sudo.attempts", reason[..space]);
            }
        }
        else if (reason.Contains("NOT in sudoers", StringComparison.Ordinal))
        {
            ProgramParsers.Set(e, "process", "denied", "sudo_not_in_sudoers", success: false);
        }
        else
        {
            ProgramParsers.Set(e, "process", "denied", "sudo_denied", success: false);
        }
        return true;
    }

    private static bool IsUpper(ReadOnlySpan<char> key)
    {
        foreach (char c in key)
        {
            if (!char.IsAsciiLetterUpper(c) && c != '_')
            {
                return false;
            }
        }
        return true;
    }
}
