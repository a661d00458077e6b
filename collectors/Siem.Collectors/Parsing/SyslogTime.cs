using NodaTime;

namespace Siem.Collectors.Parsing;

/// <summary>Turns syslog timestamps into instants: year-less ones get a year from the clock, offset-less ones the host zone.</summary>
internal sealed class SyslogTime(DateTimeZone zone, IClock clock)
{
    // A year-less timestamp this far ahead of the clock is from last year (a Dec 31 line read on Jan 1).
    private static readonly Period FutureTolerance = Period.FromDays(31);

    public Instant Now => clock.GetCurrentInstant();

    public bool TryYearless(int month, int day, int hour, int minute, int second, int nanos, out Instant instant)
    {
        instant = default;
        if (month is < 1 or > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
        {
            return false;
        }
        second = Math.Min(second, 59); // a leap second is folded into :59
        var now = clock.GetCurrentInstant().InZone(zone).LocalDateTime;
        int year = now.Year;
        // Feb 29 belongs to the latest leap year; walk back at most 8 years (no other date needs it).
        while (day > CalendarSystem.Iso.GetDaysInMonth(year, month))
        {
            if (month != 2 || day != 29 || year < now.Year - 8)
            {
                return false;
            }
            year--;
        }
        var local = new LocalDateTime(year, month, day, hour, minute, second).PlusNanoseconds(nanos);
        if (local > now + FutureTolerance)
        {
            year--;
            while (day > CalendarSystem.Iso.GetDaysInMonth(year, month))
            {
                year--;
            }
            local = new LocalDateTime(year, month, day, hour, minute, second).PlusNanoseconds(nanos);
        }
        instant = zone.AtLeniently(local).ToInstant();
        return true;
    }

    /// <summary>Parses an ISO-8601 / RFC 3339 timestamp (rsyslog high precision, RFC 5424) starting at <paramref name="s"/>[0].</summary>
    /// <param name="spaceSeparated">Also accept a space between date and time ("2026-11-22 06:21:14"): fine for a JSON
    /// time field, wrong for a syslog header, where it would read dpkg or Python log lines as host and program.</param>
    /// <returns>Characters consumed, or 0 if it is not one.</returns>
    public int TryIso(ReadOnlySpan<char> s, out Instant instant, bool spaceSeparated = false)
    {
        instant = default;
        if (s.Length < 19 || s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != 't' && !(spaceSeparated && s[10] == ' ')) || s[13] != ':' || s[16] != ':')
        {
            return 0;
        }
        if (!Digits(s[..4], out int year) || !Digits(s.Slice(5, 2), out int month) || !Digits(s.Slice(8, 2), out int day)
            || !Digits(s.Slice(11, 2), out int hour) || !Digits(s.Slice(14, 2), out int minute) || !Digits(s.Slice(17, 2), out int second))
        {
            return 0;
        }
        int p = 19;
        int nanos = 0;
        if (p < s.Length && (s[p] == '.' || s[p] == ','))
        {
            p++;
            int digits = 0;
            while (p < s.Length && char.IsAsciiDigit(s[p]))
            {
                if (digits < 9)
                {
                    nanos = (nanos * 10) + (s[p] - '0');
                    digits++;
                }
                p++;
            }
            if (digits == 0)
            {
                return 0;
            }
            for (; digits < 9; digits++)
            {
                nanos *= 10;
            }
        }
        if (year < 1 || month is < 1 or > 12 || day < 1 || day > CalendarSystem.Iso.GetDaysInMonth(year, month) || hour > 23 || minute > 59 || second > 60)
        {
            return 0;
        }
        var local = new LocalDateTime(year, month, day, hour, minute, Math.Min(second, 59)).PlusNanoseconds(nanos);
        if (p < s.Length && (s[p] == 'Z' || s[p] == 'z'))
        {
            instant = local.InUtc().ToInstant();
            return p + 1;
        }
        if (p < s.Length && (s[p] == '+' || s[p] == '-'))
        {
            int sign = s[p] == '-' ? -1 : 1;
            var rest = s[(p + 1)..];
            int oh, om, used;
            if (rest.Length >= 5 && rest[2] == ':' && Digits(rest[..2], out oh) && Digits(rest.Slice(3, 2), out om))
            {
                used = 5;
            }
            else if (rest.Length >= 4 && Digits(rest[..2], out oh) && Digits(rest.Slice(2, 2), out om))
            {
                used = 4;
            }
            else if (rest.Length >= 2 && Digits(rest[..2], out oh))
            {
                om = 0;
                used = 2;
            }
            else
            {
                return 0;
            }
            if (oh > 18 || om > 59)
            {
                return 0;
            }
            var offset = Offset.FromSeconds(sign * ((oh * 3600) + (om * 60)));
            instant = local.WithOffset(offset).ToInstant();
            return p + 1 + used;
        }
        instant = zone.AtLeniently(local).ToInstant();
        return p;
    }

    internal static bool Digits(ReadOnlySpan<char> s, out int value)
    {
        value = 0;
        if (s.IsEmpty)
        {
            return false;
        }
        foreach (char c in s)
        {
            if (!char.IsAsciiDigit(c))
            {
                return false;
            }
            value = (value * 10) + (c - '0');
        }
        return true;
    }
}
