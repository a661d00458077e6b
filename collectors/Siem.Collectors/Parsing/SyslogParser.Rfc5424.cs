using System.Text;
using Siem.Core.Events;

namespace Siem.Collectors.Parsing;

internal static partial class SyslogParser
{
    private const string NilValue = "-";

    /// <summary>
    /// <c>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]</c>;
    /// <paramref name="p"/> points at VERSION.
    /// </summary>
    private static bool TryParse5424(string text, int p, SyslogTime time, string defaultHost, LogEvent e, ref Header header)
    {
        var s = text.AsSpan();
        e.Set(EcsFields.LogSyslogVersion, text.Substring(p, 1));
        p += 2;

        if (!NextToken(s, ref p, out int tsStart, out int tsEnd))
        {
            return false;
        }
        var ts = s[tsStart..tsEnd];
        if (ts is NilValue)
        {
            header.Timestamp = time.Now;
        }
        else if (time.TryIso(ts, out header.Timestamp) != ts.Length)
        {
            return false;
        }

        if (!NextToken(s, ref p, out int hStart, out int hEnd) || !NextToken(s, ref p, out int aStart, out int aEnd)
            || !NextToken(s, ref p, out int pStart, out int pEnd) || !NextToken(s, ref p, out int mStart, out int mEnd))
        {
            return false;
        }
        string host = s[hStart..hEnd] is NilValue ? defaultHost : text[hStart..hEnd];
        e.Set(EcsFields.HostName, host);
        if (s[hStart..hEnd] is not NilValue)
        {
            e.Set(EcsFields.LogSyslogHostname, host);
        }
        if (s[aStart..aEnd] is not NilValue)
        {
            header.Program = text[aStart..aEnd];
            e.Set(EcsFields.LogSyslogAppName, header.Program);
            e.Set(EcsFields.ProcessName, header.Program);
        }
        if (s[pStart..pEnd] is not NilValue)
        {
            string procId = text[pStart..pEnd];
            e.Set(EcsFields.LogSyslogProcId, procId);
            if (SyslogTime.Digits(procId, out _))
            {
                e.Set(EcsFields.ProcessPid, procId);
            }
        }
        if (s[mStart..mEnd] is not NilValue)
        {
            e.Set(EcsFields.LogSyslogMsgId, text[mStart..mEnd]);
        }

        if (p >= s.Length)
        {
            return false;
        }
        if (s[p] == '-')
        {
            p++;
        }
        else if (s[p] == '[')
        {
            if (!ParseStructuredData(text, ref p, e))
            {
                return false;
            }
        }
        else
        {
            return false;
        }

        if (p < s.Length)
        {
            if (s[p] != ' ')
            {
                return false;
            }
            p++;
        }
        // A UTF-8 BOM marks the message as UTF-8; it is not part of the text.
        if (p < s.Length && s[p] == '\uFEFF')
        {
            p++;
        }
        header.MessageStart = p;
        e.Set(EcsFields.Message, p < text.Length ? text[p..] : "");
        return true;
    }

    private static bool NextToken(ReadOnlySpan<char> s, ref int p, out int start, out int end)
    {
        start = p;
        int i = s[p..].IndexOf(' ');
        if (i <= 0)
        {
            end = p;
            return false;
        }
        end = p + i;
        p = end + 1;
        return true;
    }

    /// <summary>One or more <c>[SD-ID PARAM="value" ...]</c>; values unescape <c>\" \\ \]</c>.</summary>
    private static bool ParseStructuredData(string text, ref int p, LogEvent e)
    {
        var s = text.AsSpan();
        var value = new StringBuilder();
        while (p < s.Length && s[p] == '[')
        {
            p++;
            int idStart = p;
            while (p < s.Length && s[p] != ' ' && s[p] != ']')
            {
                p++;
            }
            if (p >= s.Length || p == idStart)
            {
                return false;
            }
            string id = text[idStart..p];
            e.Add("log.syslog.structured_data_ids", id);
            while (p < s.Length && s[p] == ' ')
            {
                p++;
                int nameStart = p;
                while (p < s.Length && s[p] != '=' && s[p] != ' ' && s[p] != ']')
                {
                    p++;
                }
                if (p + 1 >= s.Length || s[p] != '=' || s[p + 1] != '"' || p == nameStart)
                {
                    return false;
                }
                string name = text[nameStart..p];
                p += 2;
                value.Clear();
                while (p < s.Length && s[p] != '"')
                {
                    if (s[p] == '\\' && p + 1 < s.Length && s[p + 1] is '"' or '\\' or ']')
                    {
                        p++;
                    }
                    value.Append(s[p]);
                    p++;
                }
                if (p >= s.Length)
                {
                    return false;
                }
                p++;
                e.Add(EcsFields.LogSyslogStructuredDataPrefix + id + "." + name, value.ToString());
            }
            if (p >= s.Length || s[p] != ']')
            {
                return false;
            }
            p++;
        }
        return true;
    }
}
