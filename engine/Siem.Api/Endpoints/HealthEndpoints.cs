using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Engine.Search;

namespace Siem.Api.Endpoints;

/// <summary>
/// <c>/healthz</c> (anonymous, for load balancers: 200 "ok" or 503), <c>/api/health</c> (signed in: each part's state)
/// and <c>/api/metrics</c> (signed in: the host's counters and the live feed's, and every process's instruments).
/// </summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder app, RouteGroupBuilder api)
    {
        app.MapGet("/healthz", async (ApiBackends b, CancellationToken ct) =>
            await IndexOkAsync(b, ct) is null ? Results.Text("ok") : Results.Text("index unavailable", statusCode: StatusCodes.Status503ServiceUnavailable))
            .AllowAnonymous().WithName("Liveness").Produces<string>(contentType: "text/plain").Produces<string>(StatusCodes.Status503ServiceUnavailable, "text/plain").WithSummary("Anonymous liveness: 200 ok when the index answers, else 503.");

        api.MapGet("/health", async (ApiBackends b, ApiOptions o, CancellationToken ct) =>
        {
            string? indexProblem = await IndexOkAsync(b, ct);
            bool? broker = b.BrokerConnected?.Invoke();
            bool ok = indexProblem == null && broker != false;
            return Results.Json(new HealthReport(
                ok ? "ok" : "degraded",
                indexProblem ?? "ok",
                broker switch { null => "not used", true => "connected", false => "disconnected" },
                b.Agents?.All.Count,
                b.Alerts.Watchers,
                o.Time.GetUtcNow()), statusCode: ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        }).RequireAuthorization(ApiPolicies.AnyRole).WithName("Health").Produces<HealthReport>().Produces<HealthReport>(StatusCodes.Status503ServiceUnavailable).WithSummary("State of the index, the broker connection and the live feed.");

        api.MapGet("/metrics", (ApiBackends b) =>
        {
            var counters = new SortedDictionary<string, long>(StringComparer.Ordinal);
            foreach (var kv in b.Metrics?.Invoke() ?? new Dictionary<string, long>()) counters[kv.Key] = kv.Value;
            counters["api.live.watchers"] = b.Alerts.Watchers;
            counters["api.live.dropped"] = b.Alerts.Dropped;
            var processes = (b.Processes?.Processes() ?? [])
                .Select(p => new ProcessMetricsView(p.Reading.Instance, p.Reading.Host, p.Reading.Pid, p.Reading.Roles, p.Reading.At, p.Stale, p.Reading.Metrics))
                .ToList();
            return Results.Ok(new MetricsReport(counters, processes));
        }).RequireAuthorization(ApiPolicies.AnyRole).WithName("Metrics").Produces<MetricsReport>().WithSummary("This process's counters and every siem serve process's OpenTelemetry instruments (received, acked, indexed, quarantined, consumer lag, alert deliveries, purge durations).");
    }

    private static async Task<string?> IndexOkAsync(ApiBackends b, CancellationToken ct)
    {
        try
        {
            await b.Index.CountAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false }, ct);
            return null;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            return "error: " + ex.Message;
        }
    }
}
