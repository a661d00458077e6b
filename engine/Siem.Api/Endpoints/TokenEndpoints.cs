using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;

namespace Siem.Api.Endpoints;

/// <summary>API tokens (admin): create (the secret is in this one response only), list (never secrets or hashes), revoke.</summary>
internal static class TokenEndpoints
{
    public sealed record CreateTokenBody(string? Name, string? Role, double? ExpiresInHours);

    public static void Map(RouteGroupBuilder api)
    {
        var tokens = api.MapGroup("/tokens").RequireAuthorization(ApiPolicies.Admin);
        tokens.MapGet("/", (ApiTokenStore store) => Results.Ok(new TokenList(store.All.Select(View))))
            .WithName("ListTokens").Produces<TokenList>().WithSummary("API tokens: id, name, role, created, expiry, revocation.");
        tokens.MapPost("/", Create).WithName("CreateToken").Produces<TokenCreated>(StatusCodes.Status201Created)
            .WithSummary("Create a token for a person or service with one role; the secret is shown in this response only.")
            .Audited("token.create");
        tokens.MapPost("/{id}/revoke", (string id, ApiTokenStore store) =>
                store.Revoke(id) ? Results.Ok(new TokenRevoked(id, true)) : ApiErrors.NotFound($"no token '{id}'"))
            .WithName("RevokeToken").Produces<TokenRevoked>().WithSummary("Revoke a token: it is refused from the next request on.")
            .Audited("token.revoke", "id");
    }

    private static IResult Create(CreateTokenBody body, HttpContext http, ApiTokenStore store)
    {
        if (string.IsNullOrWhiteSpace(body.Name)) return ApiErrors.BadRequest("name: say who or what will use the token");
        if (!ApiRoles.IsKnown(body.Role)) return ApiErrors.BadRequest($"role must be one of {string.Join(", ", ApiRoles.All)}, not '{body.Role}'");
        if (body.ExpiresInHours is { } h && (h <= 0 || h > 24 * 366)) return ApiErrors.BadRequest("expires_in_hours must be between 0 and 8784 (a year)");
        var (token, secret) = store.Create(body.Name, body.Role!, body.ExpiresInHours is { } hours ? TimeSpan.FromHours(hours) : null, AlertEndpoints.Actor(http));
        AuditEndpointFilter.SetTarget(http, token.Id);
        AuditEndpointFilter.SetDetail(http, $"name={token.Name} role={token.Role}");
        return Results.Json(new TokenCreated(View(token), secret), statusCode: StatusCodes.Status201Created);
    }

    private static TokenView View(ApiToken t) => new(t.Id, t.Name, t.Role, t.CreatedAt, t.CreatedBy, t.ExpiresAt, t.RevokedAt);
}
