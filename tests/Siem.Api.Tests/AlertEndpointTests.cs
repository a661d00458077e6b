using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

public sealed class AlertEndpointTests
{
    private const string BruteForceRule = "81e7a567-a87a-4a69-8c3a-cd004cd81081";

    [Fact]
    public async Task The_list_shows_every_alert_raised_over_the_samples_newest_first_and_filters_by_level()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);

        var all = await analyst.GetFromJsonAsync<JsonElement>("/api/alerts");
        var high = await analyst.GetFromJsonAsync<JsonElement>("/api/alerts?level=high,critical");

        var alerts = all.GetProperty("alerts").EnumerateArray().ToList();
        Assert.Equal(8, alerts.Count);
        var seen = alerts.Select(a => a.GetProperty("first_seen").GetString()).ToList();
        Assert.Equal(seen.OrderDescending(StringComparer.Ordinal), seen);
        Assert.All(alerts, a => Assert.Equal("open", a.GetProperty("triage").GetProperty("status").GetString()));
        Assert.Equal(["critical", "high", "high", "high"], high.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("level").GetString()));
    }

    [Fact]
    public async Task The_detail_of_an_alert_holds_the_events_it_was_raised_from()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);
        var id = await AlertIdAsync(analyst, "203.0.113.45");

        var detail = await analyst.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");

        var alert = detail.GetProperty("alert");
        Assert.Equal(BruteForceRule, alert.GetProperty("rule_id").GetString());
        var events = detail.GetProperty("events").EnumerateArray().ToList();
        Assert.Equal(30, events.Count);
        Assert.Equal(alert.GetProperty("record_ids").EnumerateArray().Select(r => r.GetString()).Order(StringComparer.Ordinal),
            events.Select(e => e.GetProperty("record_id").GetString()).Order(StringComparer.Ordinal));
        Assert.All(events, e => Assert.Contains("Failed password", e.GetProperty("original").GetString(), StringComparison.Ordinal));
    }

    [Fact]
    public async Task Acknowledge_assign_and_close_change_the_state_keep_the_history_and_are_audited()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst, name: "dana");
        var id = await AlertIdAsync(analyst, "203.0.113.45");

        using var ack = await analyst.PostAsync($"/api/alerts/{id}/acknowledge", null);
        using var assign = await analyst.PostAsJsonAsync($"/api/alerts/{id}/assign", new { assignee = "lee" });
        using var close = await analyst.PostAsJsonAsync($"/api/alerts/{id}/close", new { reason = "blocked 203.0.113.45 at the firewall" });

        Assert.Equal(HttpStatusCode.OK, ack.StatusCode);
        Assert.Equal(HttpStatusCode.OK, assign.StatusCode);
        Assert.Equal(HttpStatusCode.OK, close.StatusCode);
        var detail = await analyst.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");
        var triage = detail.GetProperty("alert").GetProperty("triage");
        Assert.Equal("closed", triage.GetProperty("status").GetString());
        Assert.Equal("lee", triage.GetProperty("assignee").GetString());
        Assert.Equal("blocked 203.0.113.45 at the firewall", triage.GetProperty("reason").GetString());
        Assert.Equal("dana", triage.GetProperty("updated_by").GetString());
        Assert.Equal(["acknowledge", "assign", "close"], detail.GetProperty("history").EnumerateArray().Select(h => h.GetProperty("action").GetString()));
        var closed = await analyst.GetFromJsonAsync<JsonElement>("/api/alerts?status=closed");
        Assert.Equal([id], closed.GetProperty("alerts").EnumerateArray().Select(a => a.GetProperty("alert_id").GetString()));

        var audit = (await host.Audit.ReadAllAsync()).Where(e => e.Details.GetValueOrDefault("via") == "api").ToList();
        Assert.Equal(["alert.acknowledge", "alert.assign", "alert.close"], audit.Select(e => e.Action));
        Assert.All(audit, e =>
        {
            Assert.Equal(id, e.Target);
            Assert.StartsWith("token:tok_", e.Actor, StringComparison.Ordinal);
            Assert.EndsWith(":dana", e.Actor, StringComparison.Ordinal);
            Assert.Equal("200", e.Details["status"]);
        });
        Assert.Equal("reason=blocked 203.0.113.45 at the firewall", audit[2].Details["detail"]);
        Assert.True((await host.Audit.VerifyAsync()).Intact);
    }

    [Fact]
    public async Task Closing_without_a_reason_is_refused_and_an_unknown_alert_is_404()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);
        var id = await AlertIdAsync(analyst, "203.0.113.45");

        using var noReason = await analyst.PostAsJsonAsync($"/api/alerts/{id}/close", new { reason = "  " });
        using var noAssignee = await analyst.PostAsJsonAsync($"/api/alerts/{id}/assign", new { });
        using var unknown = await analyst.PostAsync("/api/alerts/no-such-alert/acknowledge", null);
        using var unknownDetail = await analyst.GetAsync("/api/alerts/no-such-alert");

        Assert.Equal(HttpStatusCode.BadRequest, noReason.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, noAssignee.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknownDetail.StatusCode);
        var detail = await analyst.GetFromJsonAsync<JsonElement>($"/api/alerts/{id}");
        Assert.Equal("open", detail.GetProperty("alert").GetProperty("triage").GetProperty("status").GetString());
    }

    internal static async Task<string> AlertIdAsync(HttpClient client, string sourceIp)
    {
        var list = await client.GetFromJsonAsync<JsonElement>("/api/alerts?level=high");
        return list.GetProperty("alerts").EnumerateArray()
            .First(a => a.GetProperty("rule_id").GetString() == BruteForceRule
                && a.GetProperty("group_by").GetProperty("source.ip").GetString() == sourceIp)
            .GetProperty("alert_id").GetString()!;
    }
}
