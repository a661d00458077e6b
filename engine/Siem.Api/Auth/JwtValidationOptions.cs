namespace Siem.Api.Auth;

/// <summary>
/// Which JWTs are accepted: signed (RS256/ES256...) by a key in <see cref="JwksPath"/> (a JSON Web Key Set file, as an
/// OIDC provider publishes at its jwks_uri), issued by <see cref="Issuer"/> for <see cref="Audience"/>, within exp/nbf,
/// carrying our role names in <see cref="RoleClaim"/> (a string or an array).
/// </summary>
public sealed record JwtValidationOptions
{
    public required string Issuer { get; init; }
    public required string Audience { get; init; }
    public required string JwksPath { get; init; }
    public string RoleClaim { get; init; } = "roles";
    public TimeSpan ClockSkew { get; init; } = TimeSpan.FromMinutes(1);
}
