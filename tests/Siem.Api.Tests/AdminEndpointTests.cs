using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

public sealed class AdminEndpointTests
{
    [Fact]
    public async Task The_agent_list_shows_health_from_the_last_indexed_event_and_revocation_takes_effect_in_the_registry()
    {
        await using var host = await ApiTestHost.StartAsync();
        var admin = host.As(ApiRoles.Admin);

        var before = await admin.GetFromJsonAsync<JsonElement>("/api/agents");
        using var revoke = await admin.PostAsync($"/api/agents/{ApiTestHost.AgentId}/revoke", null);
        using var unknown = await admin.PostAsync("/api/agents/nobody/revoke", null);
        var after = await admin.GetFromJsonAsync<JsonElement>("/api/agents");

        var agent = before.GetProperty("agents").EnumerateArray().Single();
        Assert.Equal(ApiTestHost.AgentId, agent.GetProperty("agent_id").GetString());
        Assert.Equal("web01", agent.GetProperty("host_name").GetString());
        // The samples end at 03:20:40; the clock says 12:00, so the agent has been silent for hours.
        Assert.Equal("2026-11-22T03:20:40Z", agent.GetProperty("last_event_at").GetString());
        Assert.Equal("silent", agent.GetProperty("health").GetString());
        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.True(host.Agents.TryGet(ApiTestHost.AgentId, out var record) && record.Revoked);
        Assert.Equal("revoked", after.GetProperty("agents")[0].GetProperty("health").GetString());
        var audit = (await host.Audit.ReadAllAsync()).Select(e => (e.Action, e.Target, e.Details["status"]));
        Assert.Equal([("agent.revoke", ApiTestHost.AgentId, "200"), ("agent.revoke", "nobody", "404")], audit);
    }

    [Fact]
    public async Task An_admin_creates_a_token_whose_secret_is_shown_once_and_works_until_revoked()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var admin = host.As(ApiRoles.Admin);

        using var created = await admin.PostAsJsonAsync("/api/tokens", new { name = "soc-bot", role = "analyst", expires_in_hours = 24 });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        string secret = body.GetProperty("secret").GetString()!;
        string id = body.GetProperty("token").GetProperty("id").GetString()!;
        using var used = await host.WithBearer(secret).GetAsync("/api/alerts");
        var listed = await admin.GetStringAsync("/api/tokens");
        using var revoked = await admin.PostAsync($"/api/tokens/{id}/revoke", null);
        using var refused = await host.WithBearer(secret).GetAsync("/api/alerts");
        using var badRole = await admin.PostAsJsonAsync("/api/tokens", new { name = "x", role = "root" });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.StartsWith(ApiTokenStore.Prefix, secret, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        Assert.Contains("soc-bot", listed, StringComparison.Ordinal);
        Assert.DoesNotContain(secret, listed, StringComparison.Ordinal);
        Assert.DoesNotContain(ApiTokenStore.Hash(secret), listed, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, badRole.StatusCode);
        var audit = (await host.Audit.ReadAllAsync()).ToList();
        Assert.Equal(("token.create", id, "name=soc-bot role=analyst"), (audit[0].Action, audit[0].Target, audit[0].Details["detail"]));
        Assert.DoesNotContain(audit, e => e.Details.Values.Any(v => v.Contains(secret, StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Health_metrics_and_liveness_report_the_parts()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var compliance = host.As(ApiRoles.Compliance);

        var health = await compliance.GetFromJsonAsync<JsonElement>("/api/health");
        var metrics = await compliance.GetFromJsonAsync<JsonElement>("/api/metrics");
        var live = await host.Anonymous().GetStringAsync("/healthz");

        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal("ok", health.GetProperty("index").GetString());
        Assert.Equal("not used", health.GetProperty("broker").GetString());
        Assert.Equal(1, health.GetProperty("agents").GetInt32());
        Assert.Equal(42, metrics.GetProperty("counters").GetProperty("engine.events_indexed").GetInt64());
        Assert.Equal(0, metrics.GetProperty("counters").GetProperty("api.live.dropped").GetInt64());
        Assert.Equal("ok", live);
    }

    [Fact]
    public async Task The_openapi_document_is_public_and_describes_every_endpoint()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);

        var doc = await host.Anonymous().GetFromJsonAsync<JsonElement>(SiemApi.OpenApiPath);

        Assert.StartsWith("3.", doc.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        var paths = doc.GetProperty("paths").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var (_, path) in AccessControlTests.ProtectedEndpoints().Select(r => ((string)r[0], (string)r[1])))
        {
            string template = string.Join('/', path.Split('?')[0].Split('/').Select(s => s is "some-id" or "web01-agent" or "tok_x" ? "{id}" : s));
            Assert.Contains(template, paths);
        }
    }

    [Fact]
    public async Task An_unknown_api_path_is_a_json_404_and_the_console_is_served_at_the_root()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var anonymous = host.Anonymous();

        using var missing = await anonymous.GetAsync("/api/nothing-here");
        using var page = await anonymous.GetAsync("/");

        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("default-src 'self'", page.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
    }
}
