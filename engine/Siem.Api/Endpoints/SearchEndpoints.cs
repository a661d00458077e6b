using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Triage;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Api.Endpoints;

/// <summary><c>GET /api/search</c>: events and alerts in the search language of <c>siem search</c>, plus a time histogram.</summary>
internal static class SearchEndpoints
{
    private const int MaxBuckets = 120;

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/search", SearchAsync)
            .RequireAuthorization(ApiPolicies.Analyst)
            .WithName("Search")
            .Produces<SearchResult>()
            .Produces<ApiError>(StatusCodes.Status400BadRequest)
            .WithSummary("Search events and alerts; returns hits (newest first), the total count and a time histogram.")
            .WithDescription("q: field:value (* wildcards), \"phrases\", words, AND/OR/NOT, parentheses. from/to: ISO-8601 or relative (-1h). kind: all|events|alerts.");
    }

    private static async Task<IResult> SearchAsync(string? q, string? from, string? to, string? kind, int? limit, int? buckets,
        ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken cancellationToken)
    {
        var now = Instant.FromDateTimeOffset(options.Time.GetUtcNow());
        SearchRequest request;
        try
        {
            bool events = kind is null or "" or "all" or "events";
            bool alerts = kind is null or "" or "all" or "alerts";
            if (!events && !alerts) return ApiErrors.BadRequest($"kind must be all, events or alerts, not '{kind}'");
            request = QueryParsing.Build(q, from, to, limit, now, events, alerts);
        }
        catch (SearchQueryException ex)
        {
            return ApiErrors.BadRequest(ex.Message);
        }
        catch (FormatException ex)
        {
            return ApiErrors.BadRequest(ex.Message);
        }
        int bucketCount = buckets ?? 40;
        if (bucketCount < 1 || bucketCount > MaxBuckets) return ApiErrors.BadRequest($"buckets must be between 1 and {MaxBuckets}, not {bucketCount}");

        var hits = await backends.Index.SearchAsync(request, cancellationToken);
        long total = await backends.Index.CountAsync(request, cancellationToken);
        var triageById = triage.GetMany(hits.Where(h => h.Alert != null).Select(h => h.Id));
        var histogram = await HistogramAsync(backends, request, hits, bucketCount, cancellationToken);
        return Results.Ok(new SearchResult(q ?? "*", total, hits.Select(h => new SearchHitView(
            h.Kind,
            h.Id,
            AlertJson.FormatInstant(h.Timestamp),
            h.Event is { } e ? ApiJson.Event(e) : null,
            h.Alert is { } a ? ApiJson.Alert(a, triageById.GetValueOrDefault(a.AlertId)) : null)), histogram));
    }

    /// <summary>
    /// Counts per equal time bucket over [from, to). Without from/to the range is that of the hits returned, so the
    /// histogram shows where the listed results lie (said in <c>range</c>).
    /// </summary>
    private static async Task<SearchHistogram?> HistogramAsync(ApiBackends backends, SearchRequest request, IReadOnlyList<SearchHit> hits,
        int buckets, CancellationToken cancellationToken)
    {
        Instant? from = request.From ?? (hits.Count > 0 ? hits.Min(h => h.Timestamp) : null);
        Instant? to = request.To ?? (hits.Count > 0 ? hits.Max(h => h.Timestamp) + Duration.FromSeconds(1) : null);
        if (from is not { } f || to is not { } t || t <= f) return null;
        var width = Duration.FromTicks(Math.Max(1, (t - f).BucketTicks(buckets)));
        var counts = new long[buckets];
        for (int i = 0; i < buckets; i++)
        {
            var start = f + width * i;
            var end = i == buckets - 1 ? t : start + width;
            counts[i] = await backends.Index.CountAsync(request with { From = start, To = end }, cancellationToken);
        }
        return new SearchHistogram(AlertJson.FormatInstant(f), AlertJson.FormatInstant(t), width.TotalSeconds,
            request.From != null && request.To != null ? "requested" : "hits", counts);
    }

    private static long BucketTicks(this Duration span, int buckets) => (long)Math.Ceiling(span.BclCompatibleTicks / (double)buckets);
}
