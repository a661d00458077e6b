using NodaTime;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

/// <summary>
/// Syslog headers without Regex: RFC 3164 (<c>&lt;PRI&gt;Mmm dd hh:mm:ss host tag[pid]: msg</c>, PRI optional as in
/// /var/log/auth.log, or an ISO-8601 timestamp as rsyslog's high-precision format writes it) and RFC 5424.
/// </summary>
internal static partial class SyslogParser
{
    /// <summary>Result of a header parse: where the message starts and which program sent it.</summary>
    internal struct Header
    {
        public Instant Timestamp;
        public int MessageStart;
        public string? Program;
    }

    /// <summary>Parses the header, writes its fields into <paramref name="e"/>; false when the line is not syslog.</summary>
    public static bool TryParse(string text, SyslogTime time, string defaultHost, LogEvent e, out Header header)
    {
        header = default;
        var s = text.AsSpan();
        int p = 0;
        if (s.Length > 0 && s[0] == '<')
        {
            int close = s[..Math.Min(s.Length, 6)].IndexOf('>');
            if (close < 0)
            {
                return false;
            }
            if (SyslogTime.Digits(s[1..close], out int pri) && pri <= 191 && close <= 4)
            {
                e.Set(EcsFields.LogSyslogFacility, Small(pri >> 3));
                e.Set(EcsFields.LogSyslogSeverity, Small(pri & 7));
            }
            else
            {
                e.Add(EcsFields.Tags, EcsFields.InvalidPriTag);
            }
            p = close + 1;
            // RFC 5424: a version digit and a space follow the PRI.
            if (p + 1 < s.Length && s[p] is >= '1' and <= '9' && s[p + 1] == ' ')
            {
                return TryParse5424(text, p, time, defaultHost, e, ref header);
            }
        }

        int consumed;
        if (p < s.Length && char.IsAsciiLetter(s[p]))
        {
            consumed = ParseBsdTimestamp(s[p..], time, out header.Timestamp);
        }
        else
        {
            consumed = time.TryIso(s[p..], out header.Timestamp);
        }
        if (consumed == 0)
        {
            return false;
        }
        p += consumed;
        if (p >= s.Length || s[p] != ' ')
        {
            return false;
        }
        p = SkipSpaces(s, p);

        // Host, unless the token is already the tag (local /dev/log messages carry no host).
        int tokenEnd = TokenEnd(s, p);
        var token = s[p..tokenEnd];
        string host = defaultHost;
        if (token.Length > 0 && token[^1] != ':' && !token.Contains('['))
        {
            host = RecentStrings.Current.Get(token);
            e.Set(EcsFields.LogSyslogHostname, host);
            p = SkipSpaces(s, tokenEnd);
        }
        e.Set(EcsFields.HostName, host);

        p = ParseTag(text, p, e, out header.Program);
        header.MessageStart = p;
        e.Set(EcsFields.Message, p < text.Length ? text[p..] : "");
        return true;
    }

    /// <summary>"Mmm dd hh:mm:ss[.frac]" with a space-padded day.</summary>
    private static int ParseBsdTimestamp(ReadOnlySpan<char> s, SyslogTime time, out Instant instant)
    {
        instant = default;
        if (s.Length < 15 || s[3] != ' ')
        {
            return 0;
        }
        int month = Month(s[..3]);
        if (month == 0)
        {
            return 0;
        }
        int p = 4;
        if (s[p] == ' ')
        {
            p++;
        }
        int dayStart = p;
        while (p < s.Length && p - dayStart < 2 && char.IsAsciiDigit(s[p]))
        {
            p++;
        }
        if (!SyslogTime.Digits(s[dayStart..p], out int day) || p + 9 > s.Length || s[p] != ' ')
        {
            return 0;
        }
        p++;
        var t = s.Slice(p, 8);
        if (t[2] != ':' || t[5] != ':' || !SyslogTime.Digits(t[..2], out int hh) || !SyslogTime.Digits(t.Slice(3, 2), out int mm)
            || !SyslogTime.Digits(t.Slice(6, 2), out int ss))
        {
            return 0;
        }
        p += 8;
        int nanos = 0;
        if (p < s.Length && s[p] == '.')
        {
            int digits = 0;
            p++;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                if (digits < 9)
                {
                    nanos = (nanos * 10) + (s[p] - '0');
                    digits++;
                }
                p++;
            }
            for (; digits < 9; digits++)
            {
                nanos *= 10;
            }
        }
        return time.TryYearless(month, day, hh, mm, ss, nanos, out instant) ? p : 0;
    }

    private static int Month(ReadOnlySpan<char> m) => (m[0] | 0x20, m[1] | 0x20, m[2] | 0x20) switch
    {
        ('j', 'a', 'n') => 1,
        ('f', 'e', 'b') => 2,
        ('m', 'a', 'r') => 3,
        ('a', 'p', 'r') => 4,
        ('m', 'a', 'y') => 5,
        ('j', 'u', 'n') => 6,
        ('j', 'u', 'l') => 7,
        ('a', 'u', 'g') => 8,
        ('s', 'e', 'p') => 9,
        ('o', 'c', 't') => 10,
        ('n', 'o', 'v') => 11,
        ('d', 'e', 'c') => 12,
        _ => 0,
    };

    /// <summary>"tag[pid]: " or "tag: "; without either the message starts right here.</summary>
    private static int ParseTag(string text, int p, LogEvent e, out string? program)
    {
        program = null;
        var s = text.AsSpan();
        int q = p;
        while (q < s.Length && s[q] != '[' && s[q] != ':' && s[q] != ' ')
        {
            q++;
        }
        if (q == p || q >= s.Length)
        {
            return p;
        }
        int after;
        string? pid = null;
        if (s[q] == '[')
        {
            int close = s[q..].IndexOf(']');
            if (close < 0 || q + close + 1 >= s.Length || s[q + close + 1] != ':')
            {
                return p;
            }
            pid = RecentStrings.Current.Get(s.Slice(q + 1, close - 1));
            after = q + close + 2;
        }
        else if (s[q] == ':')
        {
            after = q + 1;
        }
        else
        {
            return p;
        }
        program = RecentStrings.Current.Get(s[p..q]);
        e.Set(EcsFields.ProcessName, program);
        e.Set(EcsFields.LogSyslogAppName, program);
        if (pid is not null)
        {
            e.Set(EcsFields.ProcessPid, pid);
        }
        return after < s.Length && s[after] == ' ' ? after + 1 : after;
    }

    private static int TokenEnd(ReadOnlySpan<char> s, int p)
    {
        int i = s[p..].IndexOf(' ');
        return i < 0 ? s.Length : p + i;
    }

    private static int SkipSpaces(ReadOnlySpan<char> s, int p)
    {
        while (p < s.Length && s[p] == ' ')
        {
            p++;
        }
        return p;
    }

    private static readonly string[] SmallNumbers = [.. Enumerable.Range(0, 24).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))];

    private static string Small(int i) => SmallNumbers[i];
}
