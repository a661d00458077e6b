using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.AspNetCore.Routing;
using Microsoft.OpenApi;

namespace Siem.Api.Endpoints;

/// <summary>
/// What the OpenAPI document says besides each endpoint's own metadata: the error responses every endpoint can give
/// (as <see cref="ApiError"/>, decided from the route: a role needed → 401/403/429, a body → 400/413, an id in the
/// path → 404; endpoints add others, e.g. 400 for a bad query), and the bearer security scheme with the roles each
/// operation needs.
/// </summary>
internal static class OpenApiConventions
{
    public const string SchemeName = "bearer";

    /// <summary>Runs after every endpoint's own conventions, so it sees its authorization and body metadata.</summary>
    public static void AddErrorResponses(RouteGroupBuilder api) => ((IEndpointConventionBuilder)api).Finally(endpoint =>
    {
        if (endpoint is not RouteEndpointBuilder route) return;
        var metadata = endpoint.Metadata;
        bool needsRole = metadata.OfType<IAuthorizeData>().Any() && !metadata.OfType<IAllowAnonymous>().Any();
        bool hasBody = metadata.OfType<IAcceptsMetadata>().Any();
        bool hasId = route.RoutePattern.Parameters.Count > 0;
        var codes = new List<int>();
        if (hasBody) codes.Add(StatusCodes.Status400BadRequest);
        if (needsRole) codes.AddRange([StatusCodes.Status401Unauthorized, StatusCodes.Status403Forbidden, StatusCodes.Status429TooManyRequests]);
        if (hasId) codes.Add(StatusCodes.Status404NotFound);
        if (hasBody) codes.Add(StatusCodes.Status413PayloadTooLarge);
        foreach (int code in codes.Where(c => !metadata.OfType<IProducesResponseTypeMetadata>().Any(p => p.StatusCode == c)))
            metadata.Add(new ProducesResponseTypeMetadata(code, typeof(ApiError), ["application/json"]));
    });

    public static void Configure(OpenApiOptions options)
    {
        options.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "Siem API";
            document.Info.Description = "Search, alert triage, rules, lineage, purges, agents. Authorization: Bearer <API token or JWT>. "
                + "Roles: analyst (alerts, rules, search), compliance (purges, lineage, certificates), admin (agents, tokens; everything). "
                + "Errors are {\"error\", \"detail\"} (ApiError); refused calls (401/403) are audited.";
            document.Components ??= new OpenApiComponents();
            document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
            document.Components.SecuritySchemes[SchemeName] = new OpenApiSecurityScheme
            {
                Type = SecuritySchemeType.Http,
                Scheme = "bearer",
                Description = "An API token (siem_…, from `siem api-token create` or POST /api/tokens) or a JWT from the configured issuer.",
            };
            return Task.CompletedTask;
        });
        options.AddOperationTransformer((operation, context, _) =>
        {
            var metadata = context.Description.ActionDescriptor.EndpointMetadata;
            var policies = metadata.OfType<IAuthorizeData>().Select(a => a.Policy).OfType<string>().Distinct().ToList();
            if (policies.Count == 0 || metadata.OfType<IAllowAnonymous>().Any()) return Task.CompletedTask;
            operation.Security ??= [];
            operation.Security.Add(new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SchemeName, context.Document)] = [] });
            operation.Description = $"{operation.Description}{(string.IsNullOrEmpty(operation.Description) ? "" : " ")}Needs role: {string.Join(" or ", policies.Select(RolesOf))}.";
            return Task.CompletedTask;
        });
    }

    private static string RolesOf(string policy) => policy switch
    {
        Auth.ApiPolicies.Analyst => "analyst or admin",
        Auth.ApiPolicies.Compliance => "compliance or admin",
        Auth.ApiPolicies.Admin => "admin",
        _ => "analyst, compliance or admin",
    };
}
