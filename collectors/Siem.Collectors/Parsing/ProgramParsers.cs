using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>Picks the message parser by syslog tag; PAM module lines are recognised whatever program logs them.</summary>
internal static class ProgramParsers
{
    /// <summary>Adds the fields of the program's message to <paramref name="e"/>; false (and nothing added) if not understood.</summary>
    public static bool TryParseInto(string? program, ReadOnlySpan<char> message, LogEvent e)
    {
        // A parser that gives up half-way must leave no half-truth behind. Message parsers only add fields the syslog
        // header never sets, and a Dictionary nobody removed from enumerates in insertion order, so undoing is
        // removing the entries after the first `before` ones (cheaper than parsing into a scratch event and copying).
        int before = e.Fields.Count;
        if (TryParse(program, message, e))
        {
            return true;
        }
        if (e.Fields.Count > before)
        {
            foreach (var key in e.Fields.Keys.Skip(before).ToArray())
            {
                e.Fields.Remove(key);
            }
        }
        return false;
    }

    private static bool TryParse(string? program, ReadOnlySpan<char> message, LogEvent e)
    {
        if (message.StartsWith("pam_unix("))
        {
            return PamParser.TryParse(message, e);
        }
        return program switch
        {
            "sshd" or "sshd-session" => SshdParser.TryParse(message, e),
            "sudo" => SudoParser.TryParse(message, e),
            "su" => SuParser.TryParse(message, e),
            "useradd" or "usermod" or "userdel" or "groupadd" or "groupdel" or "groupmod" or "passwd" or "chpasswd" or "gpasswd"
                => AccountParser.TryParse(message, e),
            "CRON" or "cron" or "crond" => CronParser.TryParse(message, e),
            "systemd-logind" => LogindParser.TryParse(message, e),
            "nginx" or "apache" or "apache2" or "httpd" => AccessLogParser.TryParse(message, e),
            _ => false,
        };
    }

    /// <summary>Splits <c>k1=v1 k2=v2</c> (values may be empty: <c>ruser= rhost=</c>) into fields named <paramref name="prefix"/> + key; empty values are skipped.</summary>
    public static void KeyValues(ReadOnlySpan<char> s, LogEvent e, string prefix)
    {
        while (!s.IsEmpty)
        {
            s = s.TrimStart(' ');
            int eq = s.IndexOf('=');
            if (eq <= 0)
            {
                return;
            }
            var key = s[..eq];
            if (key.Contains(' '))
            {
                // Not a key: skip the word and go on.
                s = s[(key.IndexOf(' ') + 1)..];
                continue;
            }
            s = s[(eq + 1)..];
            int end = s.IndexOf(' ');
            var value = end < 0 ? s : s[..end];
            if (!value.IsEmpty)
            {
                e.Set(prefix + key.ToString(), value.ToString());
            }
            s = end < 0 ? default : s[end..];
        }
    }

    public static void Set(LogEvent e, string category, string type, string action, bool? success)
    {
        e.Set(EcsFields.EventCategory, category);
        e.Set(EcsFields.EventType, type);
        e.Set(EcsFields.EventAction, action);
        if (success is bool ok)
        {
            e.Set(EcsFields.EventOutcome, ok ? "success" : "failure");
        }
    }
}
