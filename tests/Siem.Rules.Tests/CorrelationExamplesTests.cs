using Siem.Rules.Correlation;
using static Siem.Rules.Tests.CorrelationTestKit;

namespace Siem.Rules.Tests;

/// <summary>The eight correlation examples of the Sigma specification, loaded from ../shared/testdata and run on synthetic streams.</summary>
public sealed class CorrelationExamplesTests
{
    private const string FailedLogin = "5638f7c0-ac70-491d-8465-2a65075e0d86";

    [Fact]
    public void All_eight_spec_examples_load_with_their_type_group_by_and_timespan()
    {
        var set = RuleLoader.Load([SpecDir]);
        Assert.Empty(set.Errors);
        var rules = set.Correlations.Cast<CorrelationRule>().OrderBy(r => Path.GetFileName(r.SourcePath)).ToList();
        Assert.Equal(8, rules.Count);
        Assert.Equal(
            ["EventCount:ComputerName:60m", "EventCount:dns.question.name:60m", "Temporal:ComputerName,User:5m", "TemporalOrdered:ComputerName,User:5m",
             "ValueAvg:SourceIP,User:1440m", "ValueCount:ComputerName,WorkstationName:1440m", "ValuePercentile:ComputerName:1440m", "ValueSum:SourceIP,User:60m"],
            rules.Select(r => $"{r.Type}:{string.Join(',', r.GroupBy)}:{r.Timespan.TotalMinutes}m").Order(StringComparer.Ordinal));
        Assert.Equal(["field=BytesOut gt 500", "field=Image lte 1", "field=User gte 100", "field=bytes_sent gt 1000000"],
            rules.Where(r => r.Condition.Fields.Count > 0).Select(r => $"field={r.Condition.Fields[0]} {r.Condition}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_session_over_the_whole_example_folder_runs_the_first_of_two_correlations_sharing_an_id_and_names_the_skipped_copy()
    {
        // event_count.yml and event_count_ecs.yml carry one id: `siem demo --rules` over this folder crashed on it.
        var session = new DetectionSession(RuleLoader.Load([SpecDir]));

        Assert.Equal(7, session.Correlations.Rules.Count);
        Assert.Equal(["group-by ComputerName"], session.Correlations.Rules.Where(r => r.Id == "0e95725d-7320-415d-80f7-004da920fc11").Select(r => $"group-by {string.Join(',', r.GroupBy)}"));
        var skipped = Assert.Single(session.CorrelationProblems, p => p.Message.EndsWith("this copy is skipped", StringComparison.Ordinal));
        Assert.Equal(Path.Combine(SpecDir, "event_count_ecs.yml"), skipped.Path);
        Assert.Equal($"correlation 'Many failed logins' has the id of the one in {Path.Combine(SpecDir, "event_count.yml")}:1; this copy is skipped", skipped.Message);
    }

    [Fact]
    public void Event_count_fires_once_at_the_hundredth_failed_login_per_computer_within_an_hour()
    {
        var engine = new CorrelationEngine([Example("event_count.yml")]);
        var stream = new List<(string, Siem.Core.Events.LogEvent)>();
        for (var i = 0; i < 100; i++)
        {
            stream.Add((FailedLogin, Ev(i * 30, ("ComputerName", "ws1"))));   // 100 in 49.5 min
            stream.Add((FailedLogin, Ev(i * 30, ("ComputerName", "ws2"))));
        }
        stream.RemoveAt(stream.Count - 1); // ws2 only gets 99
        for (var i = 0; i < 100; i++)
        {
            stream.Add((FailedLogin, Ev(10_000 + (i * 40), ("ComputerName", "ws3"))));   // 100 spread over 66 min: never 100 in 1h
        }

        var alerts = Run(engine, stream.OrderBy(s => s.Item2.Timestamp));

        var alert = Assert.Single(alerts);
        Assert.Equal("ws1", alert.GroupBy["ComputerName"]);
        Assert.Equal(100, alert.Count);
        Assert.Equal(100, alert.Value);
        Assert.Equal(T0, alert.First);
        Assert.Equal(T0 + NodaTime.Duration.FromSeconds(99 * 30), alert.Last);
        Assert.Equal(100, alert.RecordIds.Count);
        Assert.Equal(20, alert.Events.Count); // bounded by MaxEventsPerAlert
    }

    [Fact]
    public void Value_count_counts_distinct_users_per_computer_and_workstation()
    {
        var engine = new CorrelationEngine([Example("value_count.yml")]);
        var stream = new List<(string, Siem.Core.Events.LogEvent)>();
        for (var i = 0; i < 100; i++)
        {
            stream.Add((FailedLogin, Ev(i * 60, ("ComputerName", "dc1"), ("WorkstationName", "w1"), ("User", $"u{i}"))));
        }
        for (var i = 0; i < 300; i++)
        {
            stream.Add((FailedLogin, Ev(i * 60, ("ComputerName", "dc1"), ("WorkstationName", "w2"), ("User", $"u{i % 99}"))));
        }

        var alerts = Run(engine, stream.OrderBy(s => s.Item2.Timestamp));

        var alert = Assert.Single(alerts);
        Assert.Equal(new Dictionary<string, string?> { ["ComputerName"] = "dc1", ["WorkstationName"] = "w1" }, alert.GroupBy);
        Assert.Equal(100, alert.Value);
    }

    [Fact]
    public void Temporal_needs_all_three_recon_rules_in_any_order_within_five_minutes_for_the_same_computer_and_user()
    {
        var engine = new CorrelationEngine([Example("temporal.yml")]);
        (string, string)[] who = [("ComputerName", "h1"), ("User", "eve")];
        (string, string)[] other = [("ComputerName", "h1"), ("User", "bob")];
        var alerts = Run(engine,
        [
            ("recon_cmd_c", Ev(0, who)), ("recon_cmd_a", Ev(60, who)), ("recon_cmd_b", Ev(290, other)), ("recon_cmd_b", Ev(299, who)),
            ("recon_cmd_a", Ev(1000, other)), ("recon_cmd_c", Ev(1100, other)), ("recon_cmd_b", Ev(1301, other)), // b 301 s after a
        ]);

        var alert = Assert.Single(alerts);
        Assert.Equal("eve", alert.GroupBy["User"]);
        Assert.Equal(3, alert.Value);
        Assert.Equal(3, alert.Count);
    }

    [Fact]
    public void Temporal_ordered_needs_the_rules_in_the_order_given()
    {
        var engine = new CorrelationEngine([Example("temporal_ordered.yml")]);
        (string, string)[] a = [("ComputerName", "h1"), ("User", "eve")];
        (string, string)[] b = [("ComputerName", "h2"), ("User", "eve")];
        var alerts = Run(engine,
        [
            ("recon_cmd_c", Ev(0, a)), ("recon_cmd_b", Ev(10, a)), ("recon_cmd_a", Ev(20, a)),  // reversed: no
            ("recon_cmd_a", Ev(30, b)), ("recon_cmd_c", Ev(40, b)), ("recon_cmd_b", Ev(50, b)),  // a c b: no
            ("recon_cmd_c", Ev(60, b)),                                                           // a b c (c again): yes
        ]);

        var alert = Assert.Single(alerts);
        Assert.Equal("h2", alert.GroupBy["ComputerName"]);
        Assert.Equal(CorrelationTestKit.T0 + NodaTime.Duration.FromSeconds(30), alert.First);
        Assert.Equal(CorrelationTestKit.T0 + NodaTime.Duration.FromSeconds(60), alert.Last);
    }

    [Fact]
    public void Value_sum_fires_when_bytes_sent_exceed_a_million_within_an_hour()
    {
        var engine = new CorrelationEngine([Example("value_sum.yml")]);
        (string, string)[] g = [("SourceIP", "10.0.0.5"), ("User", "eve")];
        var alerts = Run(engine,
        [
            ("website_access", Ev(0, [.. g, ("bytes_sent", "600000")])),
            ("website_access", Ev(100, [.. g, ("bytes_sent", "not-a-number")])),
            ("website_access", Ev(4000, [.. g, ("bytes_sent", "500000")])),  // 66 min after the first: new window
            ("website_access", Ev(4100, [.. g, ("bytes_sent", "500001")])),
        ]);

        var alert = Assert.Single(alerts);
        Assert.Equal(1_000_001, alert.Value);
        Assert.Equal(2, alert.Count);
    }

    [Fact]
    public void Value_avg_is_decided_when_the_window_closes()
    {
        var engine = new CorrelationEngine([Example("value_avg.yml")], CorrelationOptions.Default with { AllowedLateness = NodaTime.Duration.FromMinutes(1) });
        var output = new List<CorrelationAlert>();
        engine.OnMatch("rule_a_id", null, null, Ev(0, ("SourceIP", "1.1.1.1"), ("User", "eve"), ("BytesOut", "400")), output);
        engine.OnMatch("rule_a_id", null, null, Ev(10, ("SourceIP", "1.1.1.1"), ("User", "eve"), ("BytesOut", "800")), output);
        engine.OnMatch("rule_a_id", null, null, Ev(20, ("SourceIP", "2.2.2.2"), ("User", "bob"), ("BytesOut", "100")), output);
        engine.Advance(CorrelationTestKit.T0 + NodaTime.Duration.FromHours(24), output);
        Assert.Empty(output); // still open: a late event could lower the average

        engine.Advance(CorrelationTestKit.T0 + NodaTime.Duration.FromHours(24) + NodaTime.Duration.FromMinutes(2), output);

        var alert = Assert.Single(output);
        Assert.Equal("eve", alert.GroupBy["User"]);
        Assert.Equal(600, alert.Value);
    }

    [Fact]
    public void Value_percentile_reports_the_image_seen_in_at_most_one_percent_of_a_computers_processes()
    {
        var engine = new CorrelationEngine([Example("value_percentile.yml")]);
        var stream = new List<(string, Siem.Core.Events.LogEvent)>();
        for (var i = 0; i < 199; i++)
        {
            stream.Add(("process_creation", Ev(i, ("ComputerName", "h1"), ("Image", i % 2 == 0 ? "C:\\svchost.exe" : "C:\\explorer.exe"))));
        }
        stream.Add(("process_creation", Ev(500, ("ComputerName", "h1"), ("Image", "C:\\rare.exe"))));

        var alerts = Run(engine, stream);

        var alert = Assert.Single(alerts);
        Assert.Equal("C:\\rare.exe", alert.ValueKey);
        Assert.Equal(0.5, alert.Value);
        Assert.Equal("h1", alert.GroupBy["ComputerName"]);
    }

    [Fact]
    public void Event_count_ecs_example_groups_by_a_dotted_ecs_field()
    {
        var engine = new CorrelationEngine([Example("event_count_ecs.yml")]);
        var stream = Enumerable.Range(0, 250).Select(i => (FailedLogin, Ev(i, ("dns.question.name", "evil.example"))));

        var alerts = Run(engine, stream);

        Assert.Equal(2, alerts.Count); // 250 matches, gte 100: two windows consumed, 50 left over
        Assert.All(alerts, a => Assert.Equal("evil.example", a.GroupBy["dns.question.name"]));
        Assert.All(alerts, a => Assert.Equal(100, a.Count));
    }
}
