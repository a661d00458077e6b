using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>OpenSSH server messages as Debian/Ubuntu write them to auth.log; span-based, no Regex (this is the hot path).</summary>
internal static class SshdParser
{
    public static bool TryParse(ReadOnlySpan<char> m, LogEvent e)
    {
        if (m.EndsWith(" [preauth]"))
        {
            e.Set("system.auth.ssh.preauth", "true");
            m = m[..^10];
        }
        if (m.StartsWith("Accepted "))
        {
            return Login(m[9..], e, success: true);
        }
        if (m.StartsWith("Failed "))
        {
            return Login(m[7..], e, success: false);
        }
        if (m.StartsWith("Invalid user "))
        {
            // "Invalid user admin from 203.0.113.5 port 40000" (older OpenSSH has no port)
            var rest = m[13..];
            int from = rest.LastIndexOf(" from ");
            if (from < 0)
            {
                return false;
            }
            Auth(e, "invalid_user", "info", success: false);
            e.Set("system.auth.ssh.invalid_user", "true");
            SetUser(e, rest[..from]);
            return Endpoint(rest[(from + 6)..], e);
        }
        if (m.StartsWith("Disconnected from "))
        {
            Session(e, "ssh_disconnect");
            return PeerWithOptionalUser(m[18..], e);
        }
        if (m.StartsWith("Connection closed by "))
        {
            Session(e, "ssh_connection_closed");
            return PeerWithOptionalUser(m[21..], e);
        }
        if (m.StartsWith("Connection reset by "))
        {
            Session(e, "ssh_connection_reset");
            return PeerWithOptionalUser(m[20..], e);
        }
        if (m.StartsWith("Received disconnect from "))
        {
            // "Received disconnect from 203.0.113.5 port 40000:11: Bye Bye"
            var rest = m[25..];
            int port = rest.IndexOf(" port ");
            int colon = port < 0 ? -1 : rest[port..].IndexOf(':') + port;
            Session(e, "ssh_disconnect");
            return colon > port && port > 0 && Endpoint(rest[..colon], e);
        }
        if (m.StartsWith("Disconnecting "))
        {
            // "Disconnecting authenticating user root 203.0.113.45 port 57821: Too many authentication failures"
            var rest = m[14..];
            int port = rest.LastIndexOf(" port ");
            int colon = port < 0 ? -1 : rest[port..].IndexOf(": ") + port;
            if (colon <= port)
            {
                return false;
            }
            var reason = rest[(colon + 2)..];
            e.Set("system.auth.ssh.disconnect_reason", reason.ToString());
            if (reason.StartsWith("Too many authentication failures"))
            {
                Auth(e, "ssh_too_many_auth_failures", "info", success: false);
            }
            else
            {
                Session(e, "ssh_disconnect");
            }
            return PeerWithOptionalUser(rest[..colon], e);
        }
        if (m.StartsWith("PAM ") && m.IndexOf(" more authentication failure") is > 4 and var more
            && SyslogTime.Digits(m[4..more], out _) && m.IndexOf("; ") is > 0 and var semi)
        {
            // "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=203.0.113.45  user=root"
            Auth(e, "authentication_failure", "info", success: false);
            e.Set("pam.more_failures", m[4..more].ToString());
            ProgramParsers.KeyValues(m[(semi + 2)..], e, "pam.");
            PamParser.Promote(e);
            return true;
        }
        if (m.StartsWith("Did not receive identification string from "))
        {
            Session(e, "ssh_no_identification");
            return Endpoint(m[43..], e);
        }
        if (m.StartsWith("error: maximum authentication attempts exceeded for "))
        {
            Auth(e, "ssh_login", "info", success: false);
            return Login(m[52..], e, success: false, hasMethod: false);
        }
        return false;
    }

    /// <summary>"password for [invalid user ]alice from 192.0.2.10 port 51234 ssh2[: RSA SHA256:...]".</summary>
    private static bool Login(ReadOnlySpan<char> m, LogEvent e, bool success, bool hasMethod = true)
    {
        if (hasMethod)
        {
            int space = m.IndexOf(' ');
            if (space <= 0 || !m[space..].StartsWith(" for "))
            {
                return false;
            }
            e.Set("system.auth.ssh.method", m[..space].ToString());
            m = m[(space + 5)..];
        }
        int from = m.LastIndexOf(" from ");
        if (from < 0)
        {
            return false;
        }
        var user = m[..from];
        if (user.StartsWith("invalid user "))
        {
            e.Set("system.auth.ssh.invalid_user", "true");
            user = user[13..];
        }
        Auth(e, "ssh_login", success ? "start" : "info", success);
        SetUser(e, user);
        var rest = m[(from + 6)..];
        // "... port 51234 ssh2: RSA SHA256:xyz" – the signature follows the protocol after ": ".
        int sig = rest.IndexOf(": ");
        if (sig > 0)
        {
            e.Set("system.auth.ssh.signature", rest[(sig + 2)..].ToString());
            rest = rest[..sig];
        }
        if (rest.EndsWith(" ssh2"))
        {
            rest = rest[..^5];
        }
        return Endpoint(rest, e);
    }

    /// <summary>"[user |invalid user |authenticating user ]U IP port P", or just "IP port P".</summary>
    private static bool PeerWithOptionalUser(ReadOnlySpan<char> m, LogEvent e)
    {
        int portAt = m.LastIndexOf(" port ");
        var left = portAt < 0 ? m : m[..portAt];
        int lastSpace = left.LastIndexOf(' ');
        if (lastSpace >= 0)
        {
            var userPart = left[..lastSpace];
            if (userPart.StartsWith("invalid user "))
            {
                e.Set("system.auth.ssh.invalid_user", "true");
                userPart = userPart[13..];
            }
            else if (userPart.StartsWith("authenticating user "))
            {
                userPart = userPart[20..];
            }
            else if (userPart.StartsWith("user "))
            {
                userPart = userPart[5..];
            }
            else
            {
                return false;
            }
            SetUser(e, userPart);
            m = m[(lastSpace + 1)..];
        }
        return Endpoint(m, e);
    }

    /// <summary>"IP port P" or "IP".</summary>
    internal static bool Endpoint(ReadOnlySpan<char> m, LogEvent e)
    {
        int portAt = m.IndexOf(" port ");
        var address = portAt < 0 ? m : m[..portAt];
        if (address.IsEmpty || address.Contains(' '))
        {
            return false;
        }
        SetAddress(e, address);
        if (portAt >= 0)
        {
            var port = m[(portAt + 6)..];
            if (!SyslogTime.Digits(port, out _) || port.Length > 5)
            {
                return false;
            }
            e.Set(EcsFields.SourcePort, port.ToString());
        }
        return true;
    }

    internal static void SetAddress(LogEvent e, ReadOnlySpan<char> address)
    {
        bool ip = IsPlainIPv4(address) || System.Net.IPAddress.TryParse(address, out _);
        e.Set(ip ? EcsFields.SourceIp : EcsFields.SourceDomain, address.ToString());
    }

    /// <summary>"a.b.c.d" with decimal octets 0-255 and no leading zeros: the common case, without building an IPAddress.</summary>
    internal static bool IsPlainIPv4(ReadOnlySpan<char> s)
    {
        int octets = 0, i = 0;
        while (true)
        {
            int start = i, value = 0;
            while (i < s.Length && i - start < 3 && char.IsAsciiDigit(s[i]))
            {
                value = (value * 10) + (s[i++] - '0');
            }
            int digits = i - start;
            if (digits == 0 || value > 255 || (digits > 1 && s[start] == '0'))
            {
                return false;
            }
            if (++octets == 4)
            {
                return i == s.Length;
            }
            if (i >= s.Length || s[i] != '.')
            {
                return false;
            }
            i++;
        }
    }

    private static void SetUser(LogEvent e, ReadOnlySpan<char> user)
    {
        if (!user.IsEmpty)
        {
            e.Set(EcsFields.UserName, user.ToString());
        }
    }

    private static void Auth(LogEvent e, string action, string type, bool success)
    {
        e.Set(EcsFields.EventCategory, "authentication");
        e.Set(EcsFields.EventType, type);
        e.Set(EcsFields.EventAction, action);
        e.Set(EcsFields.EventOutcome, success ? "success" : "failure");
    }

    private static void Session(LogEvent e, string action)
    {
        e.Set(EcsFields.EventCategory, "session");
        e.Set(EcsFields.EventType, "end");
        e.Set(EcsFields.EventAction, action);
    }
}
