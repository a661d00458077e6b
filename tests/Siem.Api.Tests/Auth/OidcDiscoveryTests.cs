using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests.Auth;

/// <summary>JWTs checked against keys found through OIDC discovery at a real (Kestrel) provider on loopback.</summary>
public sealed class OidcDiscoveryTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private static Task<ApiTestHost> StartApiAsync(TestIdentityProvider idp, TimeSpan? retry = null) => ApiTestHost.StartAsync(o => o with
    {
        Jwt = new JwtValidationOptions
        {
            Authority = new Uri(idp.Authority),
            Audience = "siem-api",
            DiscoveryRetryInterval = retry ?? TimeSpan.FromMinutes(10),
        },
    }, seed: false);

    private static async Task<(HttpStatusCode Status, string Detail)> CallAsync(ApiTestHost host, string bearer)
    {
        using var timeout = new CancellationTokenSource(Bound);
        using var response = await host.WithBearer(bearer).GetAsync("/api/alerts", timeout.Token);
        string detail = response.StatusCode == HttpStatusCode.OK ? "" : (await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token)).GetProperty("detail").GetString()!;
        return (response.StatusCode, detail);
    }

    [Fact]
    public async Task A_token_signed_by_a_discovered_key_is_accepted_and_wrong_issuer_audience_or_expiry_get_401()
    {
        await using var idp = new TestIdentityProvider();
        var key = TestIdentityProvider.NewKey("k1");
        idp.Publish(key);
        await idp.StartAsync();
        await using var host = await StartApiAsync(idp);
        var now = ApiTestHost.Start;

        var valid = await CallAsync(host, idp.Token(key, "analyst", now));
        var wrongIssuer = await CallAsync(host, idp.Token(key, "analyst", now, issuer: "http://127.0.0.1:1/realms/other"));
        var wrongAudience = await CallAsync(host, idp.Token(key, "analyst", now, audience: "another-app"));
        var expired = await CallAsync(host, idp.Token(key, "analyst", now.AddHours(-3), lifetime: TimeSpan.FromHours(1)));
        var unsigned = await CallAsync(host, idp.Token(TestIdentityProvider.NewKey("k1"), "analyst", now));

        Assert.Equal((HttpStatusCode.OK, ""), valid);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid JWT: wrong issuer"), wrongIssuer);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid JWT: wrong audience"), wrongAudience);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid JWT: the token is outside its lifetime (exp/nbf)"), expired);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid JWT: bad signature or unknown key"), unsigned);
        Assert.Equal(1, idp.DiscoveryRequests);
    }

    [Fact]
    public async Task A_rotated_key_is_picked_up_without_a_restart_and_unknown_key_ids_refresh_at_most_once_per_30_seconds()
    {
        await using var idp = new TestIdentityProvider();
        var first = TestIdentityProvider.NewKey("2026-11");
        var next = TestIdentityProvider.NewKey("2026-12");
        idp.Publish(first);
        await idp.StartAsync();
        await using var host = await StartApiAsync(idp);
        var now = ApiTestHost.Start;

        var before = await CallAsync(host, idp.Token(first, "analyst", now));
        idp.Publish(first, next);
        host.Time.Advance(TimeSpan.FromSeconds(31));
        var rotated = await CallAsync(host, idp.Token(next, "analyst", now));
        int afterRotation = idp.DiscoveryRequests;
        var madeUp1 = await CallAsync(host, idp.Token(TestIdentityProvider.NewKey("made-up-1"), "analyst", now));
        var madeUp2 = await CallAsync(host, idp.Token(TestIdentityProvider.NewKey("made-up-2"), "analyst", now));
        int afterMadeUp = idp.DiscoveryRequests;
        var old = await CallAsync(host, idp.Token(first, "analyst", now));

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal(HttpStatusCode.OK, rotated.Status);
        Assert.Equal(2, afterRotation);
        Assert.Equal(HttpStatusCode.Unauthorized, madeUp1.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, madeUp2.Status);
        Assert.Equal(2, afterMadeUp); // within 30 s of the last fetch: no new requests to the provider
        Assert.Equal(HttpStatusCode.OK, old.Status); // both keys are published during a rotation
        Assert.Equal(2, idp.DiscoveryRequests);
    }

    [Fact]
    public async Task Keys_an_hour_old_are_fetched_again_in_the_background_so_a_retired_key_stops_working()
    {
        await using var idp = new TestIdentityProvider();
        var retired = TestIdentityProvider.NewKey("k1");
        var current = TestIdentityProvider.NewKey("k2");
        idp.Publish(retired);
        await idp.StartAsync();
        await using var host = await StartApiAsync(idp, retry: TimeSpan.FromMilliseconds(50));
        var before = await CallAsync(host, idp.Token(retired, "analyst", ApiTestHost.Start));
        idp.Publish(current);

        host.Time.Advance(TimeSpan.FromMinutes(61));
        using var timeout = new CancellationTokenSource(Bound);
        var discovery = ((JsonWebTokenValidator)host.App.Services.GetService(typeof(IJwtValidator))!).Discovery!;
        while (discovery.Fetches < 2) await Task.Delay(20, timeout.Token);
        var now = ApiTestHost.Start.AddMinutes(61);
        var refused = await CallAsync(host, idp.Token(retired, "analyst", now));
        var accepted = await CallAsync(host, idp.Token(current, "analyst", now));

        Assert.Equal(HttpStatusCode.OK, before.Status);
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid JWT: bad signature or unknown key"), refused);
        Assert.Equal(HttpStatusCode.OK, accepted.Status);
    }

    [Fact]
    public async Task With_the_provider_down_at_start_JWTs_get_401_saying_why_and_are_accepted_once_it_answers()
    {
        await using var idp = new TestIdentityProvider();
        var key = TestIdentityProvider.NewKey("k1");
        idp.Publish(key);
        await using var host = await StartApiAsync(idp, retry: TimeSpan.FromMilliseconds(100));
        string token = idp.Token(key, "analyst", ApiTestHost.Start);

        var down = await CallAsync(host, token);
        using var apiToken = await host.As(ApiRoles.Analyst).GetAsync("/api/alerts");
        await idp.StartAsync();
        using var timeout = new CancellationTokenSource(Bound);
        var up = down;
        while (up.Status != HttpStatusCode.OK)
        {
            await Task.Delay(50, timeout.Token);
            up = await CallAsync(host, token);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, down.Status);
        Assert.StartsWith($"JWT not checked: OIDC discovery at {idp.Authority} failed: ", down.Detail, StringComparison.Ordinal);
        Assert.EndsWith("JWTs are refused until it answers (retried every 0.1 s)", down.Detail, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, apiToken.StatusCode);
        Assert.Equal(HttpStatusCode.OK, up.Status);
    }

    [Fact]
    public async Task A_discovery_document_naming_another_issuer_is_refused()
    {
        await using var idp = new TestIdentityProvider { DiscoveredIssuer = "https://evil.example/realms/soc" };
        var key = TestIdentityProvider.NewKey("k1");
        idp.Publish(key);
        await idp.StartAsync();
        await using var host = await StartApiAsync(idp);

        var result = await CallAsync(host, idp.Token(key, "analyst", ApiTestHost.Start, issuer: "https://evil.example/realms/soc"));

        Assert.Equal(HttpStatusCode.Unauthorized, result.Status);
        Assert.Contains($"names issuer 'https://evil.example/realms/soc', not '{idp.Authority}'", result.Detail, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("http://idp.example.org/realms/soc", "must use https")]
    [InlineData("http://10.0.0.5/realms/soc", "must use https")]
    [InlineData("https://idp.example.org/realms/soc", null)]
    [InlineData("http://127.0.0.1:8443/realms/soc", null)]
    [InlineData("http://[::1]:8443/realms/soc", null)]
    [InlineData("http://localhost:8443/realms/soc", null)]
    public void Plain_http_is_accepted_only_for_a_loopback_authority(string authority, string? problem)
    {
        var options = new JwtValidationOptions { Authority = new Uri(authority), Audience = "siem-api" };

        if (problem == null) Assert.Null(options.Problem());
        else Assert.Contains(problem, options.Problem(), StringComparison.Ordinal);
    }

    [Fact]
    public void Authority_and_jwks_file_together_are_refused()
    {
        var options = new JwtValidationOptions { Authority = new Uri("https://idp.example.org/"), JwksPath = "/etc/jwks.json", Issuer = "x", Audience = "siem-api" };

        Assert.Equal("give either the provider's authority (OIDC discovery) or a JWKS file, not both or neither", options.Problem());
    }
}
