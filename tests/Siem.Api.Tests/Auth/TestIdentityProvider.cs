using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Siem.Api.Tests.Auth;

/// <summary>
/// An OIDC provider on a real Kestrel listener (127.0.0.1): <c>/realms/soc/.well-known/openid-configuration</c> and the
/// JWKS it names, with keys the test rotates. It can be started late on a port chosen up front (provider down at start).
/// </summary>
internal sealed class TestIdentityProvider : IAsyncDisposable
{
    private readonly object _gate = new();
    private List<RsaSecurityKey> _published = [];
    private WebApplication? _app;
    private int _discoveryRequests;

    public TestIdentityProvider()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        Port = ((IPEndPoint)probe.LocalEndpoint).Port;
        probe.Stop();
    }

    public int Port { get; }
    public string Authority => $"http://127.0.0.1:{Port}/realms/soc";

    /// <summary>The issuer the discovery document names (the authority unless a test changes it).</summary>
    public string DiscoveredIssuer { get; set; } = "";

    public int DiscoveryRequests => Volatile.Read(ref _discoveryRequests);

    /// <summary>A new RSA key; published or not.</summary>
    public static RsaSecurityKey NewKey(string kid) => new(RSA.Create(2048)) { KeyId = kid };

    /// <summary>From now on the JWKS holds exactly these keys (their public halves).</summary>
    public void Publish(params RsaSecurityKey[] keys)
    {
        lock (_gate) _published = [.. keys];
    }

    public async Task StartAsync()
    {
        if (DiscoveredIssuer.Length == 0) DiscoveredIssuer = Authority;
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        _app = builder.Build();
        _app.MapGet("/realms/soc/.well-known/openid-configuration", () =>
        {
            Interlocked.Increment(ref _discoveryRequests);
            return Results.Json(new Dictionary<string, string> { ["issuer"] = DiscoveredIssuer, ["jwks_uri"] = Authority + "/protocol/openid-connect/certs" });
        });
        _app.MapGet("/realms/soc/protocol/openid-connect/certs", () => Results.Text(Jwks(), "application/json"));
        await _app.StartAsync();
    }

    public string Token(RsaSecurityKey key, string role, DateTimeOffset now, string? issuer = null, string audience = "siem-api", TimeSpan? lifetime = null) =>
        new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Authority,
            Audience = audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime.AddMinutes(-1),
            Expires = now.Add(lifetime ?? TimeSpan.FromHours(1)).UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = "u-7", ["preferred_username"] = "nia", ["roles"] = new[] { role } },
            SigningCredentials = new SigningCredentials(key, SecurityAlgorithms.RsaSha256),
        });

    private string Jwks()
    {
        List<RsaSecurityKey> keys;
        lock (_gate) keys = _published;
        return JsonSerializer.Serialize(new
        {
            keys = keys.Select(k =>
            {
                var p = k.Rsa.ExportParameters(false);
                return new Dictionary<string, string> { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = k.KeyId, ["n"] = Base64UrlEncoder.Encode(p.Modulus), ["e"] = Base64UrlEncoder.Encode(p.Exponent) };
            }),
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_app != null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
