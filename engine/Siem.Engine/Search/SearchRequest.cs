using NodaTime;

namespace Siem.Engine.Search;

/// <summary>A parsed query plus a time range (from inclusive, to exclusive; null = unbounded).</summary>
public sealed record SearchRequest
{
    public required QueryNode Query { get; init; }
    public Instant? From { get; init; }
    public Instant? To { get; init; }
    public int Limit { get; init; } = 100;
    public bool IncludeEvents { get; init; } = true;
    public bool IncludeAlerts { get; init; } = true;

    public static SearchRequest Parse(string query) => new() { Query = SearchQueryParser.Parse(query) };
}
