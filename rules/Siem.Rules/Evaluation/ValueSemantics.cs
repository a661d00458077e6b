using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Siem.Rules.Detection;

namespace Siem.Rules.Evaluation;

/// <summary>
/// Value-level semantics shared by both evaluators where there is only one sensible implementation (number, date,
/// address parsing; regex timeouts). The compiled evaluator has its own fast string matching.
/// </summary>
internal static class ValueSemantics
{
    private static long _regexTimeouts;

    /// <summary>Regex evaluations that hit their timeout (counted as no match).</summary>
    public static long RegexTimeouts => Interlocked.Read(ref _regexTimeouts);

    public static bool RegexIsMatch(Regex regex, string value)
    {
        try
        {
            return regex.IsMatch(value);
        }
        catch (RegexMatchTimeoutException)
        {
            Interlocked.Increment(ref _regexTimeouts);
            return false;
        }
    }

    /// <summary>Decimal (invariant culture) or hexadecimal with a 0x prefix, as Windows renders many numbers.</summary>
    public static bool TryParseNumber(ReadOnlySpan<char> s, out double value)
    {
        s = s.Trim();
        if (s.Length > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'))
        {
            if (ulong.TryParse(s[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var hex))
            {
                value = hex;
                return true;
            }
            value = 0;
            return false;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
    }

    public static bool Compare(double actual, CompareOp op, double expected) => op switch
    {
        CompareOp.Lt => actual < expected,
        CompareOp.Lte => actual <= expected,
        CompareOp.Gt => actual > expected,
        CompareOp.Gte => actual >= expected,
        _ => actual == expected,
    };

    /// <summary>Extracts minute/hour/day/ISO week/month/year from a date value; no timezone conversion (spec).</summary>
    public static bool TryTimePart(string s, TimePart part, out double value)
    {
        value = 0;
        if (!DateTime.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out var dt))
        {
            return false;
        }
        value = part switch
        {
            TimePart.Minute => dt.Minute,
            TimePart.Hour => dt.Hour,
            TimePart.Day => dt.Day,
            TimePart.Week => ISOWeek.GetWeekOfYear(dt),
            TimePart.Month => dt.Month,
            _ => dt.Year,
        };
        return true;
    }

    public static bool CidrContains(IPNetwork network, string value) =>
        IPAddress.TryParse(value.AsSpan().Trim(), out var ip) && network.Contains(ip.IsIPv4MappedToIPv6 && network.BaseAddress.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? ip.MapToIPv4() : ip);
}
