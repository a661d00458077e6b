using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary><c>pam_unix(service:type): ...</c> authentication failures and session open/close.</summary>
internal static class PamParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        int close = m.IndexOf("): ");
        if (close < 0)
        {
            return false;
        }
        var inner = m[9..close];
        int colon = inner.IndexOf(':');
        var service = colon < 0 ? inner : inner[..colon];
        var rest = m[(close + 3)..];
        if (rest.StartsWith("authentication failure; "))
        {
            // "logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.5  user=root"
            ProgramParsers.Set(e, "authentication", "info", "authentication_failure", success: false);
            ProgramParsers.KeyValues(rest[24..], e, "pam.");
            Promote(e);
        }
        else if (rest.StartsWith("session opened for user "))
        {
            ProgramParsers.Set(e, "session", "start", "session_opened", success: true);
            Session(rest[24..], e);
        }
        else if (rest.StartsWith("session closed for user "))
        {
            ProgramParsers.Set(e, "session", "end", "session_closed", success: true);
            Session(rest[24..], e);
        }
        else if (rest.StartsWith("password changed for "))
        {
            ProgramParsers.Set(e, "iam", "change", "password_changed", success: true);
            e.Set(EcsFields.UserName, rest[21..].Trim().ToString());
        }
        else
        {
            return false;
        }
        e.Set("pam.service", service.ToString());
        return true;
    }

    /// <summary>"root(uid=0) by (uid=0)", "root by (uid=0)", "alice(uid=1000) by alice(uid=0)", "root".</summary>
    private static void Session(ReadOnlySpan<char> s, LogEvent e)
    {
        int by = s.IndexOf(" by ");
        var who = by < 0 ? s : s[..by];
        int paren = who.IndexOf("(uid=");
        if (paren >= 0)
        {
            var uid = who[(paren + 5)..].TrimEnd(')');
            e.Set(EcsFields.UserId, uid.ToString());
            who = who[..paren];
        }
        e.Set(EcsFields.UserName, who.Trim().ToString());
        if (by >= 0)
        {
            var byPart = s[(by + 4)..];
            int p = byPart.IndexOf("(uid=");
            var byName = p < 0 ? byPart : byPart[..p];
            if (!byName.IsEmpty)
            {
                e.Set("pam.by_user", byName.ToString());
            }
            if (p >= 0)
            {
                e.Set("pam.by_uid", byPart[(p + 5)..].TrimEnd(')').ToString());
            }
        }
    }

    /// <summary>ECS names for the PAM key/values: the account tried is <c>user</c>, the peer is <c>rhost</c>.</summary>
    internal static void Promote(LogEvent e)
    {
        if (e.Get("pam.user") is { } user)
        {
            e.Set(EcsFields.UserName, user);
        }
        else if (e.Get("pam.logname") is { } logname)
        {
            e.Set(EcsFields.UserName, logname);
        }
        if (e.Get("pam.rhost") is { } rhost)
        {
            SshdParser.SetAddress(e, rhost);
        }
    }
}
