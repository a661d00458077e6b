using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

public sealed class AccessControlTests
{
    /// <summary>Every endpoint behind a role, with a request body where it takes one.</summary>
    public static TheoryData<string, string> ProtectedEndpoints() => new()
    {
        { "GET", "/api/search?q=*" },
        { "GET", "/api/alerts" },
        { "GET", "/api/alerts/stream" },
        { "GET", "/api/alerts/some-id" },
        { "POST", "/api/alerts/some-id/acknowledge" },
        { "POST", "/api/alerts/some-id/assign" },
        { "POST", "/api/alerts/some-id/close" },
        { "POST", "/api/alerts/some-id/reopen" },
        { "GET", "/api/rules" },
        { "GET", "/api/rules/some-id" },
        { "POST", "/api/rules/validate" },
        { "POST", "/api/rules" },
        { "PUT", "/api/rules/some-id" },
        { "POST", "/api/rules/some-id/enable" },
        { "POST", "/api/rules/some-id/disable" },
        { "POST", "/api/rules/test" },
        { "POST", "/api/rules/replay" },
        { "GET", "/api/lineage/alerts/some-id" },
        { "GET", "/api/lineage/records/some-id" },
        { "POST", "/api/lineage/subject" },
        { "GET", "/api/purges" },
        { "POST", "/api/purges" },
        { "GET", "/api/purges/some-id" },
        { "POST", "/api/purges/some-id/approve" },
        { "POST", "/api/purges/some-id/run" },
        { "GET", "/api/purges/some-id/certificate" },
        { "GET", "/api/agents" },
        { "POST", "/api/agents/web01-agent/revoke" },
        { "GET", "/api/tokens" },
        { "POST", "/api/tokens" },
        { "POST", "/api/tokens/tok_x/revoke" },
        { "GET", "/api/health" },
        { "GET", "/api/metrics" },
        { "GET", "/api/me" },
    };

    [Theory]
    [MemberData(nameof(ProtectedEndpoints))]
    public async Task An_anonymous_call_gets_401_with_a_bearer_challenge(string method, string path)
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        using var response = await host.Anonymous().SendAsync(Request(method, path));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    public static TheoryData<string, string, string> WrongRoles() => new()
    {
        { ApiRoles.Compliance, "GET", "/api/alerts" },
        { ApiRoles.Compliance, "GET", "/api/search?q=*" },
        { ApiRoles.Compliance, "POST", "/api/rules" },
        { ApiRoles.Compliance, "POST", "/api/alerts/some-id/close" },
        { ApiRoles.Analyst, "POST", "/api/agents/web01-agent/revoke" },
        { ApiRoles.Analyst, "GET", "/api/tokens" },
        { ApiRoles.Analyst, "POST", "/api/tokens" },
        { ApiRoles.Compliance, "GET", "/api/agents" },
        { ApiRoles.Analyst, "GET", "/api/purges" },
        { ApiRoles.Analyst, "POST", "/api/purges" },
        { ApiRoles.Analyst, "POST", "/api/purges/some-id/approve" },
        { ApiRoles.Analyst, "GET", "/api/purges/some-id/certificate" },
        { ApiRoles.Analyst, "POST", "/api/lineage/subject" },
    };

    [Theory]
    [MemberData(nameof(WrongRoles))]
    public async Task A_token_with_the_wrong_role_gets_403_naming_its_role(string role, string method, string path)
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        using var response = await host.As(role).SendAsync(Request(method, path));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal($"your role ({role}) may not do this", body.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_token_works_until_it_expires_and_then_gets_401_saying_so()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var client = host.As(ApiRoles.Analyst, lifetime: TimeSpan.FromHours(1));

        using (var before = await client.GetAsync("/api/alerts")) Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        host.Time.Advance(TimeSpan.FromHours(1));
        using var after = await client.GetAsync("/api/alerts");

        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Contains("the token expired", after.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_revoked_token_an_unknown_token_and_a_malformed_header_get_401()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var (token, secret) = host.Tokens.Create("leaver", ApiRoles.Analyst);
        Assert.True(host.Tokens.Revoke(token.Id));

        using var revoked = await host.WithBearer(secret).GetAsync("/api/alerts");
        using var unknown = await host.WithBearer(ApiTokenStore.Prefix + "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").GetAsync("/api/alerts");
        using var garbage = await host.WithBearer("not-a-token").GetAsync("/api/alerts");
        var basic = host.Anonymous();
        basic.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", "YWRtaW46YWRtaW4=");
        using var basicResponse = await basic.GetAsync("/api/alerts");

        Assert.Equal(HttpStatusCode.Unauthorized, revoked.StatusCode);
        Assert.Contains("revoked", revoked.Headers.WwwAuthenticate.Single().Parameter, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Unauthorized, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, garbage.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, basicResponse.StatusCode);
    }

    [Fact]
    public async Task Admin_may_do_what_analysts_and_compliance_officers_do()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var admin = host.As(ApiRoles.Admin);

        using var alerts = await admin.GetAsync("/api/alerts");
        using var agents = await admin.GetAsync("/api/agents");
        using var me = await admin.GetAsync("/api/me");

        Assert.Equal(HttpStatusCode.OK, alerts.StatusCode);
        Assert.Equal(HttpStatusCode.OK, agents.StatusCode);
        var body = await me.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("admin-user", body.GetProperty("name").GetString());
        Assert.Equal(["admin"], body.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task The_token_file_is_owner_only_and_holds_hashes_never_the_secret()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var (token, secret) = host.Tokens.Create("night shift", ApiRoles.Analyst);
        var path = Path.Combine(host.Options.DataDir, "api", "tokens.json");

        var text = await File.ReadAllTextAsync(path);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        Assert.DoesNotContain(secret[ApiTokenStore.Prefix.Length..], text, StringComparison.Ordinal);
        Assert.Contains(ApiTokenStore.Hash(secret), text, StringComparison.Ordinal);
        // A second store over the same file (a restart) accepts the token.
        Assert.Equal(token.Id, new ApiTokenStore(path).Check(secret).Token?.Id);
    }

    [Fact]
    public async Task More_requests_a_minute_than_allowed_get_429_per_caller()
    {
        await using var host = await ApiTestHost.StartAsync(o => o with { RequestsPerMinute = 3 }, seed: false);
        var first = host.As(ApiRoles.Analyst, name: "first");
        var second = host.As(ApiRoles.Analyst, name: "second");

        var codes = new List<HttpStatusCode>();
        for (int i = 0; i < 4; i++)
        {
            using var r = await first.GetAsync("/api/me");
            codes.Add(r.StatusCode);
        }
        using var other = await second.GetAsync("/api/me");

        Assert.Equal([HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.OK, HttpStatusCode.TooManyRequests], codes);
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task A_body_over_the_size_limit_gets_413_before_the_handler_runs()
    {
        await using var host = await ApiTestHost.StartAsync(o => o with { MaxRequestBodyBytes = 1000 }, seed: false);
        var analyst = host.As(ApiRoles.Analyst);

        using var content = new StringContent(JsonSerializer.Serialize(new { yaml = new string('x', 2000) }), System.Text.Encoding.UTF8, "application/json");
        using var response = await analyst.PostAsync("/api/rules/validate", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("payload_too_large", body.GetProperty("error").GetString());
    }

    internal static HttpRequestMessage Request(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET") request.Content = JsonContent.Create(new { });
        return request;
    }
}
