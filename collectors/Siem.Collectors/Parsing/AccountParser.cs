using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>shadow-utils (useradd, usermod, userdel, groupadd, groupdel, passwd) account management messages.</summary>
internal static class AccountParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        if (m.StartsWith("new user: "))
        {
            // "name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash, from=/dev/pts/0"
            Attributes(m[10..], e, isUser: true);
            return Done(e, "user", "creation", "user_created", EcsFields.UserName);
        }
        if (m.StartsWith("new group: "))
        {
            Attributes(m[11..], e, isUser: false);
            return Done(e, "group", "creation", "group_created", EcsFields.GroupName);
        }
        if (m.StartsWith("group added to "))
        {
            int colon = m.IndexOf(": ");
            if (colon < 0)
            {
                return false;
            }
            e.Set("account.file", m[15..colon].ToString());
            Attributes(m[(colon + 2)..], e, isUser: false);
            return Done(e, "group", "creation", "group_created", EcsFields.GroupName);
        }
        if (m.StartsWith("add '"))
        {
            // "add 'bob' to group 'sudo'" / "add 'bob' to shadow group 'sudo'"
            var user = Quoted(m[4..], out var rest);
            int g = rest.IndexOf("group ");
            if (user is null || g < 0 || Quoted(rest[(g + 6)..], out _) is not { } group)
            {
                return false;
            }
            e.Set(EcsFields.UserName, user);
            e.Set(EcsFields.GroupName, group);
            return Done(e, "user", "change", "user_added_to_group", EcsFields.UserName);
        }
        if (m.StartsWith("delete user '"))
        {
            if (Quoted(m[12..], out _) is not { } user)
            {
                return false;
            }
            e.Set(EcsFields.UserName, user);
            return Done(e, "user", "deletion", "user_deleted", EcsFields.UserName);
        }
        if (m.StartsWith("removed group '") || m.StartsWith("removed shadow group '") || m.StartsWith("group '"))
        {
            if (m.StartsWith("group '") && !m.Contains(" removed", StringComparison.Ordinal))
            {
                return false;
            }
            if (Quoted(m[m.IndexOf('\'')..], out var rest) is not { } group)
            {
                return false;
            }
            e.Set(EcsFields.GroupName, group);
            int owned = rest.IndexOf("owned by ");
            if (owned >= 0 && Quoted(rest[(owned + 9)..], out _) is { } owner)
            {
                e.Set(EcsFields.UserName, owner);
            }
            return Done(e, "group", "deletion", "group_deleted", EcsFields.GroupName);
        }
        if (m.StartsWith("change user '") || m.StartsWith("lock user '") || m.StartsWith("unlock user '"))
        {
            int q = m.IndexOf('\'');
            if (Quoted(m[q..], out var rest) is not { } user)
            {
                return false;
            }
            e.Set(EcsFields.UserName, user);
            string verb = m[..(q - 6)].ToString();
            var what = rest.Trim();
            int space = what.IndexOf(' ');
            string attribute = (space < 0 ? what : what[..space]).ToString();
            return Done(e, "user", "change", attribute.Length == 0 ? $"user_{verb}d" : $"user_{verb}_{attribute}".Replace("__", "_", StringComparison.Ordinal), EcsFields.UserName);
        }
        if (m.StartsWith("password for '"))
        {
            if (Quoted(m[13..], out _) is not { } user)
            {
                return false;
            }
            e.Set(EcsFields.UserName, user);
            return Done(e, "user", "change", "password_changed", EcsFields.UserName);
        }
        return false;
    }

    private static bool Done(LogEvent e, string subject, string change, string action, string required)
    {
        if (e.Get(required) is null)
        {
            return false;
        }
        e.Set(EcsFields.EventCategory, "iam");
        e.Fields[EcsFields.EventType] = new[] { subject, change };
        e.Set(EcsFields.EventAction, action);
        e.Set(EcsFields.EventOutcome, "success");
        return true;
    }

    /// <summary>"name=bob, UID=1001, GID=1001, home=/home/bob, shell=/bin/bash".</summary>
    private static void Attributes(ReadOnlySpan<char> s, LogEvent e, bool isUser)
    {
        foreach (var range in s.Split(", "))
        {
            var part = s[range];
            int eq = part.IndexOf('=');
            if (eq <= 0)
            {
                continue;
            }
            string value = part[(eq + 1)..].ToString();
            switch (part[..eq])
            {
                case "name": e.Set(isUser ? EcsFields.UserName : EcsFields.GroupName, value); break;
                case "UID": e.Set(EcsFields.UserId, value); break;
                case "GID": e.Set(EcsFields.GroupId, value); break;
                default: e.Set("account." + part[..eq].ToString().ToLowerInvariant(), value); break;
            }
        }
    }

    /// <summary>The text between the first pair of single quotes at the start of <paramref name="s"/>.</summary>
    private static string? Quoted(ReadOnlySpan<char> s, out ReadOnlySpan<char> rest)
    {
        rest = default;
        if (s.IsEmpty || s[0] != '\'')
        {
            return null;
        }
        int close = s[1..].IndexOf('\'');
        if (close < 0)
        {
            return null;
        }
        rest = s[(close + 2)..];
        return s.Slice(1, close).ToString();
    }
}
