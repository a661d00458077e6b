using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Siem.Api.Tests.Roles;

/// <summary>Rule changes and revocations made through a separate <c>siem serve --roles api</c> reach a running engine.</summary>
public sealed class LiveChangeTests
{
    private const string Pack = """
        title: Failed password
        id: 6f0c5a43-1b7e-4d0a-9a51-0c5d8e3b1a01
        name: failed_password
        status: test
        logsource:
            product: linux
        detection:
            selection:
                message|contains: 'Failed password'
            condition: selection
        level: low
        ---
        title: Three failed passwords for one user
        id: 6f0c5a43-1b7e-4d0a-9a51-0c5d8e3b1a02
        status: test
        correlation:
            type: event_count
            rules: [failed_password]
            group-by: [user.name]
            timespan: 1h
            condition:
                gte: 3
        level: high
        """;

    private const string SudoRuleId = "7d1e2f30-aaaa-4bbb-8ccc-000000000001";

    private const string SudoRule = $"""
        title: Sudo to a root shell
        id: {SudoRuleId}
        status: test
        logsource:
            product: linux
        detection:
            selection:
                message|contains: 'sudo -s'
            condition: selection
        level: medium
        """;

    [Fact]
    public async Task A_rule_uploaded_and_disabled_through_the_api_process_runs_and_stops_in_the_running_engine_and_open_correlation_windows_survive_the_reload()
    {
        await using var roles = await SeparateRoles.StartAsync(Pack);
        var analyst = await roles.ClientAsync("night shift", "analyst");
        // Two of three failures before the rule change: the window is open in the engine.
        await roles.PublishAsync(("f1", "bob", "Failed password for bob"), ("f2", "bob", "Failed password for bob"));
        await roles.WaitUntilAsync(async () => await roles.CountAsync(analyst, "*") == 2, "the first failures indexed");

        using var upload = await analyst.PostAsJsonAsync("/api/rules", new { yaml = SudoRule }, roles.Timeout.Token);
        await roles.WaitForLogAsync("engine,lineage", "engine: rules reloaded");
        await roles.PublishAsync(("f3", "bob", "Failed password for bob"), ("s1", "bob", "bob ran sudo -s"));
        await roles.WaitUntilAsync(async () => await roles.CountAsync(analyst, "*") == 4, "the events after the upload indexed");
        var afterUpload = await AlertsAsync(roles, analyst);

        using var disable = await analyst.PostAsync($"/api/rules/{SudoRuleId}/disable", null, roles.Timeout.Token);
        await roles.WaitForLogAsync("engine,lineage", "engine: rules reloaded", times: 2);
        await roles.PublishAsync(("s2", "bob", "bob ran sudo -s again"));
        await roles.WaitUntilAsync(async () => await roles.CountAsync(analyst, "*") == 5, "the event after the disable indexed");
        var afterDisable = await AlertsAsync(roles, analyst);

        Assert.Equal(HttpStatusCode.Created, upload.StatusCode);
        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.True(afterUpload.Count(a => a.GetProperty("rule_id").GetString() == "6f0c5a43-1b7e-4d0a-9a51-0c5d8e3b1a02") == 1, string.Join("\n", afterUpload) + "\n" + roles.Logs());
        var correlation = Assert.Single(afterUpload, a => a.GetProperty("rule_id").GetString() == "6f0c5a43-1b7e-4d0a-9a51-0c5d8e3b1a02");
        Assert.Equal(["f1", "f2", "f3"], correlation.GetProperty("record_ids").EnumerateArray().Select(r => r.GetString()).Order());
        var sudo = Assert.Single(afterUpload, a => a.GetProperty("rule_id").GetString() == SudoRuleId);
        Assert.Equal(["s1"], sudo.GetProperty("record_ids").EnumerateArray().Select(r => r.GetString()));
        var sudoLater = Assert.Single(afterDisable, a => a.GetProperty("rule_id").GetString() == SudoRuleId);
        Assert.Equal(1, sudoLater.GetProperty("count").GetInt32());
    }

    [Fact]
    public async Task An_agent_revoked_through_the_api_process_has_its_next_batch_quarantined_by_the_running_engine()
    {
        await using var roles = await SeparateRoles.StartAsync();
        var admin = await roles.ClientAsync("admin on call", "admin");
        await roles.PublishAsync(("r1", "bob", "before the revocation"));
        await roles.WaitUntilAsync(async () => await roles.CountAsync(admin, "*") == 1, "the first batch indexed");

        // 503 means "revoked in the registry, engines not told yet (NATS slow or down): revoke again", as documented.
        var revoke = await admin.PostAsync($"/api/agents/{roles.AgentId}/revoke", null, roles.Timeout.Token);
        while (revoke.StatusCode == HttpStatusCode.ServiceUnavailable)
        {
            revoke.Dispose();
            await Task.Delay(500, roles.Timeout.Token);
            revoke = await admin.PostAsync($"/api/agents/{roles.AgentId}/revoke", null, roles.Timeout.Token);
        }
        using var revoked = revoke;
        Assert.True(revoke.StatusCode == HttpStatusCode.OK, await revoke.Content.ReadAsStringAsync(roles.Timeout.Token) + "\n" + roles.Logs());
        await roles.WaitForLogAsync("engine,lineage", $"agent '{roles.AgentId}' revoked through the API");
        await roles.PublishAsync(("r2", "bob", "after the revocation"));
        await roles.WaitUntilAsync(async () => await roles.QuarantinedAsync() == 1, "the next batch quarantined");
        var agents = await admin.GetFromJsonAsync<JsonElement>("/api/agents", roles.Timeout.Token);

        Assert.Equal(HttpStatusCode.OK, revoke.StatusCode);
        Assert.Equal(1, await roles.CountAsync(admin, "*"));
        Assert.True(agents.GetProperty("agents")[0].GetProperty("revoked").GetBoolean());
    }

    private static async Task<List<JsonElement>> AlertsAsync(SeparateRoles roles, HttpClient client)
    {
        var body = await client.GetFromJsonAsync<JsonElement>("/api/alerts", roles.Timeout.Token);
        return [.. body.GetProperty("alerts").EnumerateArray()];
    }
}
