using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Cisco IOS/NX-OS syslog messages carry a code <c>%FACILITY-SEVERITY-MNEMONIC:</c> (<c>%SYS-5-CONFIG_I:</c>). A line
/// with one is marked <c>event.module: cisco</c>, so Sigma's Cisco rules judge it — and only such lines: their keywords
/// ("dir", "show", "delete") are everyday words in other logs.
/// </summary>
internal static class CiscoMessageCode
{
    public static void Mark(ReadOnlySpan<char> message, LogEvent e)
    {
        if (Contains(message))
        {
            e.Set(EcsFields.EventModule, "cisco");
        }
    }

    internal static bool Contains(ReadOnlySpan<char> s)
    {
        for (int i = s.IndexOf('%'); i >= 0; i = NextPercent(s, i))
        {
            if (IsCodeAt(s[(i + 1)..]))
            {
                return true;
            }
        }
        return false;
    }

    private static int NextPercent(ReadOnlySpan<char> s, int i)
    {
        int next = s[(i + 1)..].IndexOf('%');
        return next < 0 ? -1 : i + 1 + next;
    }

    /// <summary>FACILITY (upper-case letters, digits, _) "-" severity 0-7 "-" MNEMONIC (upper-case, digits, _) ":".</summary>
    private static bool IsCodeAt(ReadOnlySpan<char> s)
    {
        int p = 0;
        while (p < s.Length && (char.IsAsciiLetterUpper(s[p]) || char.IsAsciiDigit(s[p]) || s[p] == '_'))
        {
            p++;
        }
        if (p == 0 || !char.IsAsciiLetterUpper(s[0]) || p + 3 >= s.Length || s[p] != '-' || s[p + 1] is < '0' or > '7' || s[p + 2] != '-')
        {
            return false;
        }
        int m = p + 3;
        int start = m;
        while (m < s.Length && (char.IsAsciiLetterUpper(s[m]) || char.IsAsciiDigit(s[m]) || s[m] == '_'))
        {
            m++;
        }
        return m > start && m < s.Length && s[m] == ':';
    }
}
