using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Triage;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Api.Endpoints;

/// <summary>Alerts: list with filters, detail with the matched events, triage (acknowledge, assign, close, reopen).</summary>
internal static partial class AlertEndpoints
{
    private const int MaxEventsInDetail = 200;
    private static readonly string[] _levels = ["informational", "low", "medium", "high", "critical"];

    public sealed record AssignBody(string? Assignee);
    public sealed record CloseBody(string? Reason);

    public static void Map(RouteGroupBuilder api)
    {
        var alerts = api.MapGroup("/alerts").RequireAuthorization(ApiPolicies.Analyst);
        alerts.MapGet("/", ListAsync).WithName("ListAlerts").Produces<AlertList>().Produces<ApiError>(StatusCodes.Status400BadRequest)
            .WithSummary("Alerts, newest first, with their triage state. level: comma list (low,high...); status: open|acknowledged|closed; q: search query.");
        alerts.MapGet("/stream", StreamAsync).WithName("AlertStream").Produces<LiveAlertMessage>(contentType: "text/event-stream")
            .WithSummary("Server-sent events: 'alert' for each new or updated alert, 'dropped' when this watcher fell behind (reload the list).");
        alerts.MapGet("/{id}", GetAsync).WithName("GetAlert").Produces<AlertDetail>()
            .WithSummary("One alert with its triage state, triage history and the events it was raised from.");
        alerts.MapPost("/{id}/acknowledge", AcknowledgeAsync).WithName("AcknowledgeAlert").Produces<TriageView>()
            .WithSummary("Acknowledge: someone is looking at it (assigns it to the caller when unassigned).").Audited("alert.acknowledge", "id");
        alerts.MapPost("/{id}/assign", AssignAsync).WithName("AssignAlert").Produces<TriageView>()
            .WithSummary("Assign the alert to a person.").Audited("alert.assign", "id");
        alerts.MapPost("/{id}/close", CloseAsync).WithName("CloseAlert").Produces<TriageView>()
            .WithSummary("Close with a reason (false positive, resolved, duplicate, ...).").Audited("alert.close", "id");
        alerts.MapPost("/{id}/reopen", ReopenAsync).WithName("ReopenAlert").Produces<TriageView>()
            .WithSummary("Reopen a closed alert.").Audited("alert.reopen", "id");
    }

    private static async Task<IResult> ListAsync(string? level, string? status, string? q, string? from, string? to, int? limit,
        ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken cancellationToken)
    {
        SearchRequest request;
        try
        {
            request = QueryParsing.Build(q, from, to, limit ?? 200, Instant.FromDateTimeOffset(options.Time.GetUtcNow()), events: false, alerts: true);
        }
        catch (Exception ex) when (ex is SearchQueryException or FormatException)
        {
            return ApiErrors.BadRequest(ex.Message);
        }
        var levels = (level ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var l in levels.Where(l => !_levels.Contains(l)))
            return ApiErrors.BadRequest($"level '{l}' is not a Sigma level: use {string.Join(", ", _levels)}");
        if (status is not (null or "" or AlertTriage.Open or AlertTriage.Acknowledged or AlertTriage.Closed))
            return ApiErrors.BadRequest($"status must be open, acknowledged or closed, not '{status}'");
        if (levels.Length > 0)
            request = request with { Query = new AndNode(request.Query, QueryParsing.AnyOf("level", levels)) };

        var hits = await backends.Index.SearchAsync(request, cancellationToken);
        var alerts = hits.Where(h => h.Alert != null).Select(h => h.Alert!).ToList();
        var triageById = triage.GetMany(alerts.Select(a => a.AlertId));
        var shown = alerts
            .Select(a => (Alert: a, Triage: triageById.GetValueOrDefault(a.AlertId)))
            .Where(x => string.IsNullOrEmpty(status) || (x.Triage?.Status ?? AlertTriage.Open) == status)
            .Select(x => ApiJson.Alert(x.Alert, x.Triage));
        return Results.Ok(new AlertList(shown));
    }

    private static async Task<IResult> GetAsync(string id, ApiBackends backends, TriageStore triage, CancellationToken cancellationToken)
    {
        var alert = await FindAsync(backends, id, cancellationToken);
        if (alert == null) return ApiErrors.NotFound($"no alert with id '{id}'");
        var ids = alert.RecordIds.Take(MaxEventsInDetail).ToList();
        var events = ids.Count == 0 ? [] : await backends.Index.SearchAsync(new SearchRequest
        {
            Query = QueryParsing.AnyOf("record_id", ids),
            IncludeAlerts = false,
            Limit = ids.Count,
        }, cancellationToken);
        return Results.Ok(new AlertDetail(
            ApiJson.Alert(alert, triage.Get(id)),
            events.Where(h => h.Event != null).OrderBy(h => h.Timestamp).Select(h => ApiJson.Event(h.Event!)),
            ids.Count,
            alert.Count,
            triage.History(id).Select(h => new TriageHistoryEntry(h.Action, h.Detail, h.At, h.Actor))));
    }

    private static Task<IResult> AcknowledgeAsync(string id, HttpContext http, ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken ct) =>
        ChangeAsync(id, backends, ct, () => triage.Acknowledge(id, Actor(http), options.Time.GetUtcNow()));

    private static Task<IResult> AssignAsync(string id, AssignBody body, HttpContext http, ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Assignee)) return Task.FromResult(ApiErrors.BadRequest("assignee: say who takes the alert"));
        string assignee = body.Assignee.Trim();
        if (assignee.Length > 200) return Task.FromResult(ApiErrors.BadRequest("assignee: at most 200 characters"));
        AuditEndpointFilter.SetDetail(http, "assignee=" + assignee);
        return ChangeAsync(id, backends, ct, () => triage.Assign(id, assignee, Actor(http), options.Time.GetUtcNow()));
    }

    private static Task<IResult> CloseAsync(string id, CloseBody body, HttpContext http, ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Reason)) return Task.FromResult(ApiErrors.BadRequest("reason: closing an alert needs a reason (false positive, resolved, ...)"));
        string reason = body.Reason.Trim();
        if (reason.Length > 2000) return Task.FromResult(ApiErrors.BadRequest("reason: at most 2000 characters"));
        AuditEndpointFilter.SetDetail(http, "reason=" + reason);
        return ChangeAsync(id, backends, ct, () => triage.Close(id, reason, Actor(http), options.Time.GetUtcNow()), backends.AlertClosed);
    }

    private static Task<IResult> ReopenAsync(string id, HttpContext http, ApiBackends backends, TriageStore triage, ApiOptions options, CancellationToken ct) =>
        ChangeAsync(id, backends, ct, () => triage.Reopen(id, Actor(http), options.Time.GetUtcNow()));

    private static async Task<IResult> ChangeAsync(string id, ApiBackends backends, CancellationToken ct, Func<AlertTriage> change, Func<AlertDocument, CancellationToken, Task>? then = null)
    {
        if (await FindAsync(backends, id, ct) is not { } alert) return ApiErrors.NotFound($"no alert with id '{id}'");
        var t = change();
        if (then != null) await then(alert, ct);
        return Results.Ok(ApiJson.Triage(id, t));
    }

    internal static async Task<AlertDocument?> FindAsync(ApiBackends backends, string id, CancellationToken ct)
    {
        var hits = await backends.Index.SearchAsync(new SearchRequest
        {
            Query = new FieldNode("alert_id", id, HasWildcard: false),
            IncludeEvents = false,
            Limit = 1,
        }, ct);
        return hits.FirstOrDefault()?.Alert;
    }

    /// <summary>The person, for triage: the token's name or the JWT user.</summary>
    internal static string Actor(HttpContext http) =>
        http.User.FindFirstValue(ClaimTypes.Name) ?? http.User.FindFirstValue("preferred_username") ?? http.User.FindFirstValue("sub") ?? "unknown";
}
