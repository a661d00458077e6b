using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Siem.Api.Endpoints;

namespace Siem.Api.Auth;

/// <summary>
/// <c>Authorization: Bearer …</c>: an API token (<c>siem_…</c>) is checked against the hashed token store; anything with
/// the shape of a JWT goes to the <see cref="IJwtValidator"/> when one is configured. No header = anonymous (401 where a
/// role is needed); a refused token = 401 with the reason in <c>WWW-Authenticate</c>; a wrong role = 403.
/// </summary>
internal sealed class BearerAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiTokenStore tokens, IJwtValidator? jwt = null)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Bearer";
    /// <summary>Who did it, for the audit log: <c>token:&lt;id&gt;:&lt;name&gt;</c> or <c>jwt:&lt;user&gt;</c>.</summary>
    public const string ActorClaim = "siem:actor";
    public const string TokenIdClaim = "siem:token_id";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        string? header = Request.Headers.Authorization;
        if (string.IsNullOrEmpty(header)) return AuthenticateResult.NoResult();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("only Bearer authorization is accepted");
        string presented = header["Bearer ".Length..].Trim();
        if (presented.StartsWith(ApiTokenStore.Prefix, StringComparison.Ordinal))
        {
            var check = tokens.Check(presented);
            if (check.Token is not { } t) return AuthenticateResult.Fail(check.Problem!);
            var identity = new ClaimsIdentity(SchemeName, ClaimTypes.Name, ClaimTypes.Role);
            identity.AddClaim(new Claim(ClaimTypes.Name, t.Name));
            identity.AddClaim(new Claim(ClaimTypes.Role, t.Role));
            identity.AddClaim(new Claim(TokenIdClaim, t.Id));
            identity.AddClaim(new Claim(ActorClaim, $"token:{t.Id}:{t.Name}"));
            return Success(identity);
        }
        if (presented.Count(c => c == '.') == 2)
        {
            if (jwt == null) return AuthenticateResult.Fail("JWT bearer tokens are not configured on this server");
            var (principal, problem) = await jwt.ValidateAsync(presented, Context.RequestAborted);
            return principal == null ? AuthenticateResult.Fail(problem!) : AuthenticateResult.Success(new AuthenticationTicket(principal, SchemeName));
        }
        return AuthenticateResult.Fail("unknown token format");
    }

    private AuthenticateResult Success(ClaimsIdentity identity) =>
        AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        string reason = result.Failure?.Message ?? "sign in with an API token or a JWT (Authorization: Bearer …)";
        Context.Items[Audit.DeniedCallAudit.ReasonKey] = result.Failure?.Message ?? "no credentials";
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = result.Failure != null
            ? $"Bearer error=\"invalid_token\", error_description=\"{reason.Replace("\"", "'", StringComparison.Ordinal)}\""
            : "Bearer";
        await Response.WriteAsJsonAsync(new ApiError("unauthorized", reason));
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status403Forbidden;
        string roles = string.Join(", ", Context.User.FindAll(ClaimTypes.Role).Select(c => c.Value));
        Context.Items[Audit.DeniedCallAudit.ReasonKey] = $"role {(roles.Length > 0 ? roles : "none")} may not do this";
        await Response.WriteAsJsonAsync(new ApiError("forbidden", $"your role ({(roles.Length > 0 ? roles : "none")}) may not do this"));
    }
}
