using NodaTime;
using Siem.Engine.Search;

namespace Siem.Api.Endpoints;

/// <summary>Reads search parameters the same way <c>siem search</c> does; errors name the parameter.</summary>
internal static class QueryParsing
{
    public const int MaxLimit = 1000;

    public static SearchRequest Build(string? q, string? from, string? to, int? limit, Instant now, bool events = true, bool alerts = true)
    {
        var query = SearchQueryParser.Parse(string.IsNullOrWhiteSpace(q) ? "*" : q);
        Instant? f = ParseTime("from", from, now);
        Instant? t = ParseTime("to", to, now);
        if (f != null && t != null && f >= t) throw new FormatException($"from ({from}) must be before to ({to})");
        int n = limit ?? 100;
        if (n < 1 || n > MaxLimit) throw new FormatException($"limit must be between 1 and {MaxLimit}, not {n}");
        return new SearchRequest { Query = query, From = f, To = t, Limit = n, IncludeEvents = events, IncludeAlerts = alerts };
    }

    public static Instant? ParseTime(string name, string? value, Instant now)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        try
        {
            return TimeExpression.Parse(value, now);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"{name}: {ex.Message}", ex);
        }
    }

    /// <summary>An OR over several exact field values, balanced so a long list does not nest deeply.</summary>
    public static QueryNode AnyOf(string field, IReadOnlyList<string> values)
    {
        if (values.Count == 0) throw new ArgumentException("no values", nameof(values));
        if (values.Count == 1) return new FieldNode(field, values[0], HasWildcard: false);
        int mid = values.Count / 2;
        return new OrNode(AnyOf(field, values.Take(mid).ToList()), AnyOf(field, values.Skip(mid).ToList()));
    }
}
