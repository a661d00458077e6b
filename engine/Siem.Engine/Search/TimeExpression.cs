using System.Globalization;
using NodaTime;
using NodaTime.Text;

namespace Siem.Engine.Search;

/// <summary>
/// Parses <c>--from</c>/<c>--to</c> values: ISO-8601 (<c>2026-11-22T03:00:00Z</c>, with an offset, or a date
/// <c>2026-11-22</c> = midnight UTC; no zone = UTC), <c>now</c>, or relative to now: <c>-15m</c>, <c>-1h</c>, <c>-7d</c>, <c>-2w</c>, <c>-30s</c>.
/// </summary>
public static class TimeExpression
{
    public static Instant Parse(string text, Instant now)
    {
        ArgumentNullException.ThrowIfNull(text);
        var t = text.Trim();
        if (t.Equals("now", StringComparison.OrdinalIgnoreCase)) return now;
        if (t.Length >= 3 && t[0] == '-' && char.IsAsciiLetter(t[^1])
            && long.TryParse(t.AsSpan(1, t.Length - 2), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            Duration unit = char.ToLowerInvariant(t[^1]) switch
            {
                's' => Duration.FromSeconds(1),
                'm' => Duration.FromMinutes(1),
                'h' => Duration.FromHours(1),
                'd' => Duration.FromDays(1),
                'w' => Duration.FromDays(7),
                _ => throw new FormatException($"unknown time unit '{t[^1]}' in '{text}': use s, m, h, d or w (e.g. -1h)"),
            };
            return now - unit * n;
        }
        var instant = InstantPattern.ExtendedIso.Parse(t);
        if (instant.Success) return instant.Value;
        var offset = OffsetDateTimePattern.ExtendedIso.Parse(t);
        if (offset.Success) return offset.Value.ToInstant();
        var local = LocalDateTimePattern.ExtendedIso.Parse(t);
        if (local.Success) return local.Value.InUtc().ToInstant();
        var date = LocalDatePattern.Iso.Parse(t);
        if (date.Success) return date.Value.AtMidnight().InUtc().ToInstant();
        throw new FormatException($"cannot read the time '{text}': use ISO-8601 (2026-11-22T03:00:00Z, 2026-11-22) or a relative time such as -1h, -30m, -7d");
    }
}
