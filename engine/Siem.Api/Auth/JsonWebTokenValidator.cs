using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Siem.Api.Auth;

/// <summary>
/// Validates JWTs against a JWKS file: asymmetric signatures only (RS256/384/512, PS*, ES256/384/512 — never "none" or
/// HMAC, so a public key cannot be used as a shared secret), issuer, audience, exp and nbf (exp required). Our role names
/// are read from the configured claim, which may be a string or an array; unknown roles are ignored.
/// </summary>
public sealed class JsonWebTokenValidator : IJwtValidator
{
    private static readonly string[] _algorithms =
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
    ];

    private readonly JwtValidationOptions _options;
    private readonly TokenValidationParameters _parameters;
    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    public JsonWebTokenValidator(JwtValidationOptions options, TimeProvider? time = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        var keys = LoadKeys(options.JwksPath);
        var clock = time ?? TimeProvider.System;
        _parameters = new TokenValidationParameters
        {
            ValidIssuer = options.Issuer,
            ValidAudience = options.Audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = _algorithms,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ClockSkew = options.ClockSkew,
            // Tests (and hosts) inject time; the library's own default reads the wall clock.
            LifetimeValidator = (notBefore, expires, _, p) =>
            {
                var now = clock.GetUtcNow().UtcDateTime;
                return (notBefore is not { } nbf || nbf - p.ClockSkew <= now) && expires is { } exp && now < exp + p.ClockSkew;
            },
        };
    }

    public async Task<(ClaimsPrincipal? Principal, string? Problem)> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var result = await _handler.ValidateTokenAsync(token, _parameters);
        if (!result.IsValid) return (null, "invalid JWT: " + Describe(result.Exception));
        var identity = new ClaimsIdentity(BearerAuthenticationHandler.SchemeName, "sub", ClaimTypes.Role);
        string subject = result.Claims.TryGetValue("sub", out var sub) ? sub.ToString() ?? "" : "";
        identity.AddClaim(new Claim("sub", subject));
        identity.AddClaim(new Claim(BearerAuthenticationHandler.ActorClaim, "jwt:" + (result.Claims.TryGetValue("preferred_username", out var u) ? u : subject)));
        foreach (var role in Roles(result.Claims.TryGetValue(_options.RoleClaim, out var r) ? r : null))
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        return (new ClaimsPrincipal(identity), null);
    }

    private static IEnumerable<string> Roles(object? claim) => claim switch
    {
        string s => s.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(ApiRoles.IsKnown),
        IEnumerable<object> list => list.Select(x => x?.ToString() ?? "").Where(ApiRoles.IsKnown),
        JsonElement { ValueKind: JsonValueKind.Array } a => a.EnumerateArray().Select(x => x.GetString() ?? "").Where(ApiRoles.IsKnown),
        _ => [],
    };

    private static string Describe(Exception? ex) => ex switch
    {
        SecurityTokenExpiredException => "the token expired",
        SecurityTokenNotYetValidException => "the token is not valid yet (nbf)",
        SecurityTokenInvalidLifetimeException => "the token is outside its lifetime (exp/nbf)",
        SecurityTokenInvalidIssuerException => "wrong issuer",
        SecurityTokenInvalidAudienceException => "wrong audience",
        SecurityTokenNoExpirationException => "the token has no exp",
        SecurityTokenSignatureKeyNotFoundException or SecurityTokenInvalidSignatureException => "bad signature or unknown key",
        SecurityTokenInvalidAlgorithmException => "signature algorithm not accepted",
        null => "rejected",
        _ => "malformed or rejected token",
    };

    private static List<SecurityKey> LoadKeys(string jwksPath)
    {
        if (!File.Exists(jwksPath)) throw new FileNotFoundException($"JWKS file '{jwksPath}' does not exist", jwksPath);
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(File.ReadAllText(jwksPath));
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{jwksPath}: not a JSON Web Key Set ({ex.Message})", ex);
        }
        var keys = set.GetSigningKeys().ToList();
        if (keys.Count == 0) throw new InvalidDataException($"{jwksPath}: the key set holds no usable signing key (RSA or EC public keys)");
        return keys;
    }
}
