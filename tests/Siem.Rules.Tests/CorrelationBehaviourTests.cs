using NodaTime;
using Siem.Rules.Correlation;
using static Siem.Rules.Tests.CorrelationTestKit;

namespace Siem.Rules.Tests;

/// <summary>Chaining, generate, aliases, lateness, out-of-order input, memory caps and conditions.</summary>
public sealed class CorrelationBehaviourTests
{
    // The specification's own example: failed logins (event_count) followed by a successful login (temporal_ordered).
    private const string SpecChain = """
        title: Correlation - Multiple Failed Logins Followed by Successful Login
        id: b180ead8-d58f-40b2-ae54-c8940995b9b6
        status: experimental
        correlation:
            type: temporal_ordered
            rules:
                - multiple_failed_login
                - successful_login
            group-by:
                - User
            timespan: 10m
        level: high
        ---
        title: Multiple failed logons
        id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
        name: multiple_failed_login
        correlation:
            type: event_count
            rules:
                - failed_login
            group-by:
                - User
            timespan: 10m
            condition:
                gte: 10
        ---
        title: Single failed login
        id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
        name: failed_login
        logsource:
            product: windows
            service: security
        detection:
            selection:
                EventID:
                    - 529
                    - 4625
            condition: selection
        ---
        title: Successful login
        id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
        name: successful_login
        logsource:
            product: windows
            service: security
        detection:
            selection:
                EventID:
                    - 528
                    - 4624
            condition: selection
        """;

    private static CorrelationEngine Engine(string yaml, CorrelationOptions? options = null) =>
        new(Yaml(yaml).Correlations.Cast<CorrelationRule>(), options);

    [Fact]
    public void Chained_correlation_fires_on_ten_failures_then_a_success_and_only_the_outer_rule_is_emitted()
    {
        var set = Yaml(SpecChain);
        var engine = new CorrelationEngine(set.Correlations.Cast<CorrelationRule>());
        var failed = set.Rules.Single(r => r.Name == "failed_login");
        var success = set.Rules.Single(r => r.Name == "successful_login");
        var output = new List<CorrelationAlert>();
        for (var i = 0; i < 10; i++)
        {
            engine.OnMatch(failed, Ev(i * 10, ("User", "alice"), ("EventID", "4625")), output);
            engine.OnMatch(failed, Ev(i * 10, ("User", "bob"), ("EventID", "4625")), output);
        }
        engine.OnMatch(success, Ev(200, ("User", "alice"), ("EventID", "4624")), output);
        engine.OnMatch(success, Ev(900, ("User", "bob"), ("EventID", "4624")), output); // 14 min after bob's 10th failure
        engine.Flush(output);

        var alert = Assert.Single(output);
        Assert.Equal("b180ead8-d58f-40b2-ae54-c8940995b9b6", alert.Rule.Id);
        Assert.Equal("alice", alert.GroupBy["User"]);
        Assert.Equal(11, alert.RecordIds.Count); // the ten failures and the success
        Assert.False(engine.ShouldEmit(failed));
        Assert.False(engine.ShouldEmit(success));
        Assert.Equal(2, engine.StatsFor("a8418a5a-5fc4-46b5-b23b-6c73beb19d41").Alerts); // the inner rule fired for both users
    }

    [Fact]
    public void Generate_true_emits_the_referenced_rules_and_intermediate_correlations_too()
    {
        var yaml = SpecChain.Replace("level: high", "level: high\ngenerate: true", StringComparison.Ordinal)
            .Replace("    condition:\n        gte: 10", "    condition:\n        gte: 10\ngenerate: true", StringComparison.Ordinal);
        var set = Yaml(yaml);
        var engine = new CorrelationEngine(set.Correlations.Cast<CorrelationRule>());
        var failed = set.Rules.Single(r => r.Name == "failed_login");
        var output = new List<CorrelationAlert>();
        for (var i = 0; i < 10; i++)
        {
            engine.OnMatch(failed, Ev(i, ("User", "alice")), output);
        }
        engine.OnMatch(set.Rules.Single(r => r.Name == "successful_login"), Ev(20, ("User", "alice")), output);

        Assert.True(engine.ShouldEmit(failed));
        Assert.Equal(["Multiple failed logons", "Correlation - Multiple Failed Logins Followed by Successful Login"], output.Select(a => a.Rule.Title));
    }

    [Fact]
    public void Rules_not_referenced_by_any_correlation_are_always_emitted()
    {
        var engine = Engine(SpecChain);
        Assert.True(engine.ShouldEmit("some-other-rule", null));
        Assert.True(engine.IsReferenced(null, "failed_login"));
    }

    [Fact]
    public void Aliases_group_source_of_one_rule_with_destination_of_another()
    {
        var engine = Engine("""
            title: internal error then connection back
            correlation:
                type: temporal
                rules:
                    - internal_error
                    - new_network_connection
                group-by:
                    - internal_ip
                    - remote_ip
                timespan: 10s
                aliases:
                    internal_ip:
                        internal_error: destination.ip
                        new_network_connection: source.ip
                    remote_ip:
                        internal_error: source.ip
                        new_network_connection: destination.ip
            """);

        var alerts = Run(engine,
        [
            ("internal_error", Ev(0, ("destination.ip", "10.0.0.1"), ("source.ip", "203.0.113.9"))),
            ("new_network_connection", Ev(5, ("source.ip", "10.0.0.2"), ("destination.ip", "203.0.113.9"))), // other host
            ("new_network_connection", Ev(8, ("source.ip", "10.0.0.1"), ("destination.ip", "203.0.113.9"))),
        ]);

        var alert = Assert.Single(alerts);
        Assert.Equal(new Dictionary<string, string?> { ["internal_ip"] = "10.0.0.1", ["remote_ip"] = "203.0.113.9" }, alert.GroupBy);
    }

    private const string ThreeInAMinute = """
        title: three in a minute
        id: three
        correlation:
            type: event_count
            rules: [base]
            group-by: [host.name]
            timespan: 1m
            condition:
                gte: 3
        """;

    [Fact]
    public void Out_of_order_matches_within_the_allowed_lateness_count_at_their_event_time()
    {
        var engine = Engine(ThreeInAMinute);

        // Arrival order 0 s, 100 s, 40 s, 20 s: by event time 0, 20, 40 fall in one minute.
        var alerts = Run(engine, [("base", Ev(0, ("host.name", "h"))), ("base", Ev(100, ("host.name", "h"))), ("base", Ev(40, ("host.name", "h"))), ("base", Ev(20, ("host.name", "h")))]);

        var alert = Assert.Single(alerts);
        Assert.Equal(T0, alert.First);
        Assert.Equal(T0 + Duration.FromSeconds(40), alert.Last);
        Assert.Equal(3, alert.Count);
        Assert.Equal(0, engine.TotalStats.LateDropped);
    }

    [Fact]
    public void Temporal_ordered_uses_event_time_not_arrival_order()
    {
        var engine = Engine("""
            title: a then b
            correlation:
                type: temporal_ordered
                rules: [a, b]
                group-by: [user.name]
                timespan: 5m
            """);

        var alerts = Run(engine, [("b", Ev(60, ("user.name", "u"))), ("a", Ev(30, ("user.name", "u")))]);

        Assert.Single(alerts);
    }

    [Fact]
    public void Matches_older_than_watermark_minus_lateness_are_dropped_and_counted()
    {
        var engine = Engine(ThreeInAMinute, CorrelationOptions.Default with { AllowedLateness = Duration.FromMinutes(1) });

        var alerts = Run(engine, [("base", Ev(600, ("host.name", "other"))), ("base", Ev(530, ("host.name", "h"))), ("base", Ev(541, ("host.name", "h"))), ("base", Ev(545, ("host.name", "h")))]);

        Assert.Empty(alerts); // 530 is 70 s behind the watermark (600): dropped, so h holds only 541 and 545
        Assert.Equal(1, engine.StatsFor("three").LateDropped);
        Assert.Equal(3, engine.StatsFor("three").Accepted);
    }

    [Fact]
    public void Group_cap_evicts_the_least_recently_updated_group_and_counts_it()
    {
        var engine = Engine(ThreeInAMinute, CorrelationOptions.Default with { MaxGroupsPerRule = 2 });

        var alerts = Run(engine, [("base", Ev(0, ("host.name", "a"))), ("base", Ev(1, ("host.name", "b"))), ("base", Ev(2, ("host.name", "a"))),
            ("base", Ev(3, ("host.name", "c"))), ("base", Ev(4, ("host.name", "b"))), ("base", Ev(5, ("host.name", "b")))], flush: false);

        Assert.Empty(alerts); // b was evicted when c arrived, so its count restarted
        Assert.Equal(2, engine.StatsFor("three").GroupsEvicted); // b (at c), then a (at b's return)
        Assert.Equal(2, engine.GroupCount("three"));
    }

    [Fact]
    public void Event_cap_evicts_the_oldest_match_of_a_group_and_counts_it()
    {
        var engine = Engine(ThreeInAMinute.Replace("gte: 3", "gte: 5", StringComparison.Ordinal), CorrelationOptions.Default with { MaxEventsPerGroup = 3 });

        var alerts = Run(engine, Enumerable.Range(0, 6).Select(i => ("base", Ev(i, ("host.name", "h")))));

        Assert.Empty(alerts); // never more than three held, so five are never seen together
        Assert.Equal(3, engine.StatsFor("three").EventsEvicted);
    }

    [Fact]
    public void A_redelivered_record_is_counted_once()
    {
        var engine = Engine(ThreeInAMinute);
        var e = Ev(0, ("host.name", "h"));

        var alerts = Run(engine, [("base", e), ("base", e), ("base", e), ("base", Ev(1, ("host.name", "h")))]);

        Assert.Empty(alerts);
        Assert.Equal(2, engine.StatsFor("three").Duplicates);
    }

    [Fact]
    public void A_range_condition_is_decided_when_the_window_closes()
    {
        var engine = Engine(ThreeInAMinute.Replace("gte: 3", "gt: 2\n        lte: 4", StringComparison.Ordinal));

        var alerts = Run(engine,
            Enumerable.Range(0, 3).Select(i => ("base", Ev(i, ("host.name", "three")))).Concat(
            Enumerable.Range(0, 6).Select(i => ("base", Ev(i, ("host.name", "six"))))));

        var alert = Assert.Single(alerts);
        Assert.Equal("three", alert.GroupBy["host.name"]);
        Assert.Equal(3, alert.Value);
    }

    [Fact]
    public void A_missing_group_by_field_forms_its_own_null_group()
    {
        var engine = Engine(ThreeInAMinute);

        var alerts = Run(engine, Enumerable.Range(0, 3).Select(i => ("base", Ev(i))));

        Assert.Null(Assert.Single(alerts).GroupBy["host.name"]);
    }

    [Fact]
    public void A_correlation_cycle_is_rejected_with_the_rule_named()
    {
        var rules = Yaml("""
            title: x
            id: x
            correlation: {type: event_count, rules: [y], group-by: [h], timespan: 1m, condition: {gte: 1}}
            ---
            title: y
            id: y
            correlation: {type: event_count, rules: [x], group-by: [h], timespan: 1m, condition: {gte: 1}}
            """).Correlations.Cast<CorrelationRule>();

        var ex = Assert.Throws<ArgumentException>(() => new CorrelationEngine(rules));
        Assert.Contains("refers to itself", ex.Message, StringComparison.Ordinal);
    }
}
