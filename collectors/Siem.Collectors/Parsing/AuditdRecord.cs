namespace Siem.Collectors.Parsing;

/// <summary>
/// One auditd record: <c>[node=N ]type=T msg=audit(1604994496.155:92733): key=value ...</c>. Values are unquoted tokens,
/// "double quoted" or 'single quoted' (user-space records nest <c>msg='op=... res=success'</c>).
/// </summary>
internal sealed class AuditdRecord
{
    public required string Type { get; init; }

    public string? Node { get; init; }

    /// <summary>Seconds since the epoch with milliseconds, as written ("1604994496.155").</summary>
    public required string Time { get; init; }

    public required long Serial { get; init; }

    public List<(string Key, string Value, bool Quoted)> Fields { get; } = [];

    public static bool LooksLikeAuditd(ReadOnlySpan<char> s) =>
        s.StartsWith("type=") || (s.StartsWith("node=") && s.IndexOf(" type=") is > 0 and < 300);

    public static bool TryParse(string text, out AuditdRecord? record)
    {
        record = null;
        var s = text.AsSpan().TrimStart(" \t\uFEFF");
        string? node = null;
        if (s.StartsWith("node="))
        {
            int sp = s.IndexOf(' ');
            if (sp < 0)
            {
                return false;
            }
            node = s[5..sp].ToString();
            s = s[(sp + 1)..];
        }
        if (!s.StartsWith("type="))
        {
            return false;
        }
        int typeEnd = s.IndexOf(' ');
        if (typeEnd <= 5)
        {
            return false;
        }
        string type = s[5..typeEnd].ToString();
        s = s[(typeEnd + 1)..];
        if (s.StartsWith("msg="))
        {
            s = s[4..];
        }
        if (!s.StartsWith("audit("))
        {
            return false;
        }
        int close = s.IndexOf("):");
        if (close < 0)
        {
            return false;
        }
        var stamp = s[6..close];
        int colon = stamp.IndexOf(':');
        if (colon <= 0 || !long.TryParse(stamp[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long serial)
            || !decimal.TryParse(stamp[..colon], System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out _))
        {
            return false;
        }
        record = new AuditdRecord { Type = type, Node = node, Time = stamp[..colon].ToString(), Serial = serial };
        ParseFields(s[(close + 2)..], record.Fields);
        return true;
    }

    /// <summary>key=value pairs separated by spaces (or the GS byte 0x1d that precedes enriched fields).</summary>
    internal static void ParseFields(ReadOnlySpan<char> s, List<(string Key, string Value, bool Quoted)> fields)
    {
        while (true)
        {
            s = s.TrimStart(" \u001d");
            if (s.IsEmpty)
            {
                return;
            }
            int eq = s.IndexOf('=');
            int space = s.IndexOfAny(' ', '\u001d');
            if (eq <= 0 || (space >= 0 && space < eq))
            {
                // A bare word (no '='): skip it.
                if (space < 0)
                {
                    return;
                }
                s = s[space..];
                continue;
            }
            string key = s[..eq].ToString();
            s = s[(eq + 1)..];
            if (!s.IsEmpty && (s[0] == '"' || s[0] == '\''))
            {
                char quote = s[0];
                int end = s[1..].IndexOf(quote);
                string value = end < 0 ? s[1..].ToString() : s.Slice(1, end).ToString();
                fields.Add((key, value, true));
                s = end < 0 ? default : s[(end + 2)..];
            }
            else
            {
                int end = s.IndexOfAny(' ', '\u001d');
                fields.Add((key, (end < 0 ? s : s[..end]).ToString(), false));
                s = end < 0 ? default : s[end..];
            }
        }
    }

    /// <summary>auditd hex-encodes a string value (unquoted) when it contains spaces, quotes or control characters.</summary>
    internal static string DecodeIfHex(string value, bool quoted)
    {
        if (quoted || value.Length < 2 || value.Length % 2 != 0 || !IsHex(value))
        {
            return value;
        }
        var bytes = Convert.FromHexString(value);
        return System.Text.Encoding.UTF8.GetString(bytes);
    }

    private static bool IsHex(string value)
    {
        foreach (char c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }
        return true;
    }
}
