using System.Security.Claims;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.DependencyInjection;
using Siem.Api.Auth;

namespace Siem.Api.Audit;

/// <summary>
/// Audits a write endpoint after its handler ran: actor, action, target (a route value), the HTTP status the handler
/// chose and the detail it left in <see cref="SetDetail"/>. Runs only for authorized callers (401/403 never reach it).
/// </summary>
internal static class AuditEndpointFilter
{
    private const string DetailKey = "siem.audit.detail";
    private const string TargetKey = "siem.audit.target";

    /// <summary>What the handler wants recorded next to the action (a reason, an assignee; never a secret).</summary>
    public static void SetDetail(HttpContext context, string detail) => context.Items[DetailKey] = detail;

    /// <summary>The target when it is not a route value (e.g. the id of a rule or purge created by the request).</summary>
    public static void SetTarget(HttpContext context, string target) => context.Items[TargetKey] = target;

    public static TBuilder Audited<TBuilder>(this TBuilder builder, string action, string? targetRouteValue = null)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (ctx, next) =>
        {
            var http = ctx.HttpContext;
            object? result;
            int status;
            try
            {
                result = await next(ctx);
                status = result switch
                {
                    IStatusCodeHttpResult { StatusCode: { } code } => code,
                    _ => StatusCodes.Status200OK,
                };
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                await WriteAsync(http, action, targetRouteValue, StatusCodes.Status500InternalServerError, ex.GetType().Name);
                throw;
            }
            await WriteAsync(http, action, targetRouteValue, status, null);
            return result;
        });

    private static async Task WriteAsync(HttpContext http, string action, string? targetRouteValue, int status, string? error)
    {
        var log = http.RequestServices.GetRequiredService<IApiAuditLog>();
        var time = http.RequestServices.GetRequiredService<ApiOptions>().Time;
        string target = http.Items.TryGetValue(TargetKey, out var t) && t is string ts ? ts
            : targetRouteValue != null && http.Request.RouteValues.TryGetValue(targetRouteValue, out var v) ? v?.ToString() ?? "" : "";
        string? detail = http.Items.TryGetValue(DetailKey, out var d) ? d as string : null;
        if (error != null) detail = detail == null ? "error: " + error : detail + "; error: " + error;
        var user = http.User;
        await log.WriteAsync(new ApiAuditEntry(
            time.GetUtcNow(),
            user.FindFirstValue(BearerAuthenticationHandler.ActorClaim) ?? "anonymous",
            string.Join(',', user.FindAll(ClaimTypes.Role).Select(c => c.Value)),
            action, target, status, detail), CancellationToken.None);
    }
}
