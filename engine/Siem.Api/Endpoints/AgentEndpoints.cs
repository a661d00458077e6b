using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Api.Endpoints;

/// <summary>Enrolled agents with their health (last event indexed), and revocation.</summary>
internal static class AgentEndpoints
{
    /// <summary>An agent that sent nothing for this long is shown as silent.</summary>
    internal static readonly Duration SilentAfter = Duration.FromMinutes(15);

    public static void Map(RouteGroupBuilder api)
    {
        api.MapGet("/agents", ListAsync).RequireAuthorization(ApiPolicies.Analyst).WithName("ListAgents").Produces<AgentList>()
            .WithSummary("Enrolled agents: tenant, host, enrollment time, revocation, last event indexed and health (active, silent, never_seen, revoked).");
        api.MapPost("/agents/{id}/revoke", Revoke).RequireAuthorization(ApiPolicies.Admin).WithName("RevokeAgent").Produces<AgentRevoked>().Produces<ApiError>(StatusCodes.Status503ServiceUnavailable)
            .WithSummary("Revoke an agent: its envelopes are quarantined from now on; the id can never enroll again.")
            .Audited("agent.revoke", "id");
    }

    private static async Task<IResult> ListAsync(ApiBackends backends, ApiOptions options, CancellationToken cancellationToken)
    {
        if (backends.Agents is not { } registry) return ApiErrors.NotAvailable("this host has no agent registry");
        var now = Instant.FromDateTimeOffset(options.Time.GetUtcNow());
        var list = new List<AgentView>();
        foreach (var a in registry.All)
        {
            var last = await backends.Index.SearchAsync(new SearchRequest
            {
                Query = new FieldNode("agent_id", a.AgentId, HasWildcard: false),
                IncludeAlerts = false,
                Limit = 1,
            }, cancellationToken);
            Instant? lastEvent = last.Count > 0 ? last[0].Timestamp : null;
            string health = a.Revoked ? "revoked"
                : lastEvent is not { } t ? "never_seen"
                : now - t > SilentAfter ? "silent" : "active";
            list.Add(new AgentView(a.AgentId, a.Tenant, a.HostName, a.EnrolledAt, a.Revoked, a.RevokedAt,
                lastEvent is { } le ? AlertJson.FormatInstant(le) : null, health));
        }
        return Results.Ok(new AgentList(list, SilentAfter.TotalMinutes));
    }

    private static async Task<IResult> Revoke(string id, HttpContext http, ApiBackends backends, CancellationToken cancellationToken)
    {
        if (backends.Agents is not { } registry) return ApiErrors.NotAvailable("this host has no agent registry");
        if (!registry.Revoke(id)) return ApiErrors.NotFound($"no enrolled agent '{id}'");
        if (backends.LiveChanges is { } live)
        {
            // Engines in other processes apply it from the control bucket; revoking again is harmless, so a failure here is retried by the caller.
            try
            {
                await live.AgentRevokedAsync(id, AlertEndpoints.Actor(http), cancellationToken);
            }
            catch (Exception ex) when (ex is Siem.Nats.NatsException or TimeoutException)
            {
                return Results.Json(new ApiError("not_announced", $"agent '{id}' is revoked in the registry, but running engines could not be told ({ex.Message}); revoke again when NATS is back"),
                    statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        }
        return Results.Ok(new AgentRevoked(id, true));
    }
}
