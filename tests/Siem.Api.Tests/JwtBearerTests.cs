using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

/// <summary>JWTs from an OIDC provider, validated against its key set (RS256 and ES256).</summary>
public sealed class JwtBearerTests : IDisposable
{
    private const string Issuer = "https://idp.example.test/realms/soc";
    private const string Audience = "siem-api";
    private readonly RSA _rsa = RSA.Create(2048);
    private readonly ECDsa _ec = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly RsaSecurityKey _rsaKey;
    private readonly ECDsaSecurityKey _ecKey;
    private readonly string _jwksPath = Path.Combine(Path.GetTempPath(), $"siem-jwks-{Guid.NewGuid():N}.json");

    public JwtBearerTests()
    {
        _rsaKey = new RsaSecurityKey(_rsa) { KeyId = "rsa-1" };
        _ecKey = new ECDsaSecurityKey(_ec) { KeyId = "ec-1" };
        var keys = new[]
        {
            JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(_rsa.ExportParameters(false)) { KeyId = "rsa-1" }),
            JsonWebKeyConverter.ConvertFromECDsaSecurityKey(new ECDsaSecurityKey(ECDsa.Create(_ec.ExportParameters(false))) { KeyId = "ec-1" }),
        };
        File.WriteAllText(_jwksPath, JsonSerializer.Serialize(new
        {
            keys = keys.Select(Jwk),
        }));
    }

    /// <summary>A public key as an OIDC provider publishes it at its jwks_uri.</summary>
    private static Dictionary<string, string> Jwk(JsonWebKey k)
    {
        var d = new Dictionary<string, string> { ["kty"] = k.Kty, ["kid"] = k.Kid, ["use"] = "sig" };
        if (k.N != null)
        {
            d["n"] = k.N;
            d["e"] = k.E;
        }
        if (k.Crv != null)
        {
            d["crv"] = k.Crv;
            d["x"] = k.X;
            d["y"] = k.Y;
        }
        return d;
    }

    private Task<ApiTestHost> StartAsync() => ApiTestHost.StartAsync(o => o with
    {
        Jwt = new JwtValidationOptions { Issuer = Issuer, Audience = Audience, JwksPath = _jwksPath },
    }, seed: false);

    private string Token(SecurityKey key, string alg, object roles, DateTimeOffset? expires = null, string audience = Audience, string issuer = Issuer)
    {
        var now = ApiTestHost.Start;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = (expires ?? now.AddHours(1)).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = "u-123", ["preferred_username"] = "ana", ["roles"] = roles },
            SigningCredentials = new SigningCredentials(key, alg),
        });
    }

    [Fact]
    public async Task An_RS256_token_with_the_analyst_role_reads_alerts_but_may_not_revoke_agents()
    {
        await using var host = await StartAsync();
        var client = host.WithBearer(Token(_rsaKey, SecurityAlgorithms.RsaSha256, new[] { "analyst" }));

        using var alerts = await client.GetAsync("/api/alerts");
        using var revoke = await client.PostAsync($"/api/agents/{ApiTestHost.AgentId}/revoke", null);

        Assert.Equal(HttpStatusCode.OK, alerts.StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, revoke.StatusCode);
    }

    [Fact]
    public async Task An_ES256_token_with_the_admin_role_is_audited_under_the_user_name()
    {
        await using var host = await StartAsync();
        var client = host.WithBearer(Token(_ecKey, SecurityAlgorithms.EcdsaSha256, "admin"));

        using var revoke = await client.PostAsync($"/api/agents/{ApiTestHost.AgentId}/revoke", null);

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal("jwt:ana", (await host.Audit.ReadAllAsync()).Single().Actor);
    }

    [Fact]
    public async Task An_expired_token_gets_401_saying_it_expired()
    {
        await using var host = await StartAsync();
        var client = host.WithBearer(Token(_rsaKey, SecurityAlgorithms.RsaSha256, new[] { "analyst" }, expires: ApiTestHost.Start.AddMinutes(10)));

        using (var fresh = await client.GetAsync("/api/alerts")) Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        host.Time.Advance(TimeSpan.FromMinutes(12));
        using var expired = await client.GetAsync("/api/alerts");

        Assert.Equal(HttpStatusCode.Unauthorized, expired.StatusCode);
        Assert.Contains("outside its lifetime", expired.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_audience_a_wrong_issuer_an_unknown_key_and_an_hmac_token_get_401()
    {
        await using var host = await StartAsync();
        using var stranger = RSA.Create(2048);
        var hmac = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = "rsa-1" };

        var codes = new List<HttpStatusCode>();
        foreach (var token in new[]
        {
            Token(_rsaKey, SecurityAlgorithms.RsaSha256, new[] { "admin" }, audience: "other-api"),
            Token(_rsaKey, SecurityAlgorithms.RsaSha256, new[] { "admin" }, issuer: "https://evil.example.test"),
            Token(new RsaSecurityKey(stranger) { KeyId = "rsa-1" }, SecurityAlgorithms.RsaSha256, new[] { "admin" }),
            Token(hmac, SecurityAlgorithms.HmacSha256, new[] { "admin" }),
        })
        {
            using var r = await host.WithBearer(token).GetAsync("/api/alerts");
            codes.Add(r.StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, 4), codes);
    }

    [Fact]
    public async Task A_token_without_one_of_our_roles_gets_403()
    {
        await using var host = await StartAsync();

        using var r = await host.WithBearer(Token(_rsaKey, SecurityAlgorithms.RsaSha256, new[] { "offline_access", "uma_authorization" })).GetAsync("/api/alerts");

        Assert.Equal(HttpStatusCode.Forbidden, r.StatusCode);
    }

    public void Dispose()
    {
        _rsa.Dispose();
        _ec.Dispose();
        File.Delete(_jwksPath);
    }
}
