namespace Siem.Api.Endpoints.Responses;

/// <summary>Search hits (newest first), the total count of matches and a time histogram (null when there is no range).</summary>
internal sealed record SearchResult(string Query, long Total, IEnumerable<SearchHitView> Hits, SearchHistogram? Histogram);

/// <summary>One hit: <c>kind</c> event (then <c>event</c> is set) or alert (then <c>alert</c> is set).</summary>
internal sealed record SearchHitView(string Kind, string Id, string Timestamp, EventView? Event, AlertView? Alert);

/// <summary>Counts per equal bucket over [from, to); <c>range</c> says whether that is the requested range or the hits'.</summary>
internal sealed record SearchHistogram(string From, string To, double BucketSeconds, string Range, long[] Counts);
