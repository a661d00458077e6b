using System.Security.Claims;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Siem.Api.Auth;

/// <summary>
/// Validates JWTs against the provider's keys (<see cref="JwksFile"/> or <see cref="OidcDiscovery"/>): asymmetric signatures only (RS256/384/512, PS*, ES256/384/512 — never "none" or
/// HMAC, so a public key cannot be used as a shared secret), issuer, audience, exp and nbf (exp required). Our role names
/// are read from the configured claim, which may be a string or an array; unknown roles are ignored.
/// </summary>
public sealed class JsonWebTokenValidator : IJwtValidator, IDisposable
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
    private readonly IJwksSource _keys;
    private volatile Tuple<JwksSnapshot, TokenValidationParameters>? _lastUsed;

    /// <param name="log">Where OIDC discovery reports that the provider answered or failed.</param>
    public JsonWebTokenValidator(JwtValidationOptions options, TimeProvider? time = null, Microsoft.Extensions.Logging.ILogger? log = null)
    {
        _options = options ?? throw new ArgumentNullException(nameof(options));
        if (options.Problem() is { } problem) throw new ArgumentException("JWT validation: " + problem, nameof(options));
        var clock = time ?? TimeProvider.System;
        _keys = options.Authority != null
            ? new OidcDiscovery(options, clock, log ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)
            : new JwksFile(options.JwksPath!, options.Issuer!);
        _parameters = new TokenValidationParameters
        {
            ValidAudience = options.Audience,
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

    /// <summary>The OIDC discovery source, when keys come from one (tests count its fetches).</summary>
    internal OidcDiscovery? Discovery => _keys as OidcDiscovery;

    public async Task<(ClaimsPrincipal? Principal, string? Problem)> ValidateAsync(string token, CancellationToken cancellationToken = default)
    {
        var keys = await _keys.GetAsync(KeyIdOf(token), cancellationToken);
        if (keys.Keys.Count == 0) return (null, "JWT not checked: " + keys.Problem);
        var result = await _handler.ValidateTokenAsync(token, ParametersFor(keys));
        if (!result.IsValid) return (null, "invalid JWT: " + Describe(result.Exception));
        var identity = new ClaimsIdentity(BearerAuthenticationHandler.SchemeName, "sub", ClaimTypes.Role);
        string subject = result.Claims.TryGetValue("sub", out var sub) ? sub.ToString() ?? "" : "";
        identity.AddClaim(new Claim("sub", subject));
        identity.AddClaim(new Claim(BearerAuthenticationHandler.ActorClaim, "jwt:" + (result.Claims.TryGetValue("preferred_username", out var u) ? u : subject)));
        foreach (var role in Roles(result.Claims.TryGetValue(_options.RoleClaim, out var r) ? r : null))
            identity.AddClaim(new Claim(ClaimTypes.Role, role));
        return (new ClaimsPrincipal(identity), null);
    }

    /// <summary>The validation parameters with these keys and issuer (rebuilt only when the keys change).</summary>
    private TokenValidationParameters ParametersFor(JwksSnapshot keys)
    {
        if (_lastUsed is { } last && ReferenceEquals(last.Item1, keys)) return last.Item2;
        var parameters = _parameters.Clone();
        parameters.IssuerSigningKeys = keys.Keys;
        parameters.ValidIssuer = keys.Issuer;
        _lastUsed = Tuple.Create(keys, parameters);
        return parameters;
    }

    /// <summary>The token's <c>kid</c>, or null (none, or not a readable JWT: validation says what is wrong).</summary>
    private string? KeyIdOf(string token)
    {
        try
        {
            return _handler.CanReadToken(token) ? _handler.ReadJsonWebToken(token).Kid : null;
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    public void Dispose() => _keys.Dispose();

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
}
