using System.Security.Claims;

namespace Siem.Api.Auth;

/// <summary>
/// The one seam for JWT bearer tokens. Today <see cref="JsonWebTokenValidator"/> (Microsoft.IdentityModel.JsonWebTokens);
/// when Microsoft.AspNetCore.Authentication.JwtBearer restores here it can replace this without touching the endpoints.
/// </summary>
public interface IJwtValidator
{
    /// <summary>The caller (with role claims in <see cref="ClaimTypes.Role"/>), or the reason the token is refused.</summary>
    Task<(ClaimsPrincipal? Principal, string? Problem)> ValidateAsync(string token, CancellationToken cancellationToken = default);
}
