using NodaTime;
using Siem.Core.Events;
using Siem.Rules.Correlation;
using static Siem.Rules.Tests.CorrelationTestKit;

namespace Siem.Rules.Tests;

/// <summary>
/// Scale-out: matches routed as contributions to partitions (each with its own engine) give exactly the alerts one
/// engine gives, and a partition rebuilt from a snapshot plus a replay of what followed continues identically.
/// </summary>
public sealed class CorrelationRoutingTests
{
    private const string Rules = """
        title: failures then success
        id: chain
        correlation:
            type: temporal_ordered
            rules: [many_failures, success]
            group-by: [User]
            timespan: 10m
        ---
        title: many failures
        id: many
        name: many_failures
        correlation:
            type: event_count
            rules: [failed]
            group-by: [User]
            timespan: 5m
            condition:
                gte: 4
        ---
        title: spray
        id: spray
        correlation:
            type: value_count
            rules: [failed]
            group-by: [source.ip]
            timespan: 5m
            condition:
                field: User
                gte: 3
        ---
        title: quiet host
        id: quiet
        correlation:
            type: event_count
            rules: [success]
            group-by: [host.name]
            timespan: 2m
            condition:
                lte: 1
        """;

    private const int Partitions = 4;

    [Fact]
    public void Routing_matches_through_partitions_gives_the_alerts_of_one_engine_for_seeded_streams()
    {
        for (var seed = 1; seed <= 25; seed++)
        {
            var matches = Stream(seed, 300);
            var single = new CorrelationEngine(Correlations());
            var expected = new List<CorrelationAlert>();
            foreach (var (rule, e) in matches) single.OnMatch(rule, null, null, e, expected);
            single.Flush(expected);

            var partitions = Enumerable.Range(0, Partitions).Select(_ => NewPartition()).ToArray();
            var actual = new List<CorrelationAlert>();
            var router = new CorrelationEngine(Correlations());
            foreach (var (rule, e) in matches)
            {
                var routed = new List<CorrelationContribution>();
                router.Route(rule, null, null, e, routed);
                ApplyAll(partitions, routed, actual);
            }
            foreach (var p in partitions) p.Flush(actual);
            foreach (var p in partitions) ApplyAll(partitions, Chained(p), actual);
            foreach (var p in partitions) p.Flush(actual);

            Assert.True(expected.Count > 0, $"seed {seed}: the stream should raise alerts");
            Assert.Equal(Describe(expected), Describe(actual));
        }
    }

    [Fact]
    public void A_partition_restored_from_a_snapshot_and_replayed_from_there_raises_the_same_alerts_with_the_same_ids()
    {
        var matches = Stream(seed: 7, count: 300);
        var router = new CorrelationEngine(Correlations());
        var contributions = new List<CorrelationContribution>();
        foreach (var (rule, e) in matches) router.Route(rule, null, null, e, contributions);

        var continuous = NewPartition();
        var expected = new List<CorrelationAlert>();
        var chainedExpected = new List<CorrelationContribution>();
        foreach (var c in contributions)
        {
            continuous.Apply(c, expected);
            continuous.TakeChained(chainedExpected);
        }

        var half = contributions.Count / 2;
        var before = NewPartition();
        var beforeAlerts = new List<CorrelationAlert>();
        foreach (var c in contributions.Take(half)) before.Apply(c, beforeAlerts);
        var chainedActual = new List<CorrelationContribution>();
        before.TakeChained(chainedActual);
        var snapshot = before.Snapshot();
        var after = NewPartition();
        after.Restore(snapshot);
        var afterAlerts = new List<CorrelationAlert>();
        foreach (var c in contributions.Skip(half - 5)) after.Apply(c, afterAlerts); // five already applied: a replay overlaps the snapshot
        after.TakeChained(chainedActual);

        Assert.Equal(Describe(expected), Describe([.. beforeAlerts, .. afterAlerts]));
        Assert.Equal(chainedExpected.Select(c => c.RecordId), chainedActual.Select(c => c.RecordId));
        Assert.NotEmpty(chainedExpected);
        Assert.All(chainedExpected, c => Assert.StartsWith("correlation:many:", c.RecordId, StringComparison.Ordinal));
    }

    [Fact]
    public void A_contribution_for_a_rule_this_engine_does_not_load_is_refused_and_counts_nothing()
    {
        var engine = NewPartition();
        var output = new List<CorrelationAlert>();
        var stray = new CorrelationContribution
        {
            RuleKey = "not-loaded", RuleIndex = 0, Time = T0, RecordId = "r1", GroupValues = ["alice"], RecordIds = ["r1"], Events = [],
        };
        Assert.False(engine.Apply(stray, output));
        Assert.False(engine.Apply(stray with { RuleKey = "many", GroupValues = ["alice", "extra"] }, output));
        Assert.Empty(output);
        Assert.Equal(0, engine.TotalStats.Accepted);
    }

    private static IEnumerable<CorrelationRule> Correlations() => Yaml(Rules).Correlations.Cast<CorrelationRule>();

    private static CorrelationEngine NewPartition() => new(Correlations(), CorrelationOptions.Default with { RouteChainedMatches = true });

    private static void ApplyAll(CorrelationEngine[] partitions, List<CorrelationContribution> contributions, List<CorrelationAlert> output)
    {
        var queue = new Queue<CorrelationContribution>(contributions);
        while (queue.TryDequeue(out var c))
        {
            var p = partitions[(int)((uint)StringComparer.Ordinal.GetHashCode(c.GroupKey) % Partitions)];
            Assert.True(p.Apply(c, output));
            foreach (var chained in Chained(p)) queue.Enqueue(chained);
        }
    }

    private static List<CorrelationContribution> Chained(CorrelationEngine p)
    {
        var list = new List<CorrelationContribution>();
        p.TakeChained(list);
        return list;
    }

    /// <summary>In event-time order: failed logins (80 %) and successes from a few users, addresses and hosts.</summary>
    private static List<(string Rule, LogEvent Event)> Stream(int seed, int count)
    {
        var random = new Random(seed);
        string[] users = ["alice", "bob", "carol", "dave"], ips = ["203.0.113.1", "203.0.113.2", "198.51.100.9"], hosts = ["web1", "db1"];
        var list = new List<(string, LogEvent)>();
        double t = 0;
        for (var i = 0; i < count; i++)
        {
            t += random.Next(1, 20);
            var failed = random.NextDouble() < 0.8;
            var e = Ev(t, ("User", users[random.Next(users.Length)]), ("source.ip", ips[random.Next(ips.Length)]), ("host.name", hosts[random.Next(hosts.Length)]));
            list.Add((failed ? "failed" : "success", e));
        }
        return list;
    }

    private static List<string> Describe(IEnumerable<CorrelationAlert> alerts) =>
        [.. alerts.Select(a => $"{a.Rule.Key}|{string.Join(',', a.GroupBy.OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Key}={g.Value}"))}|"
            + $"{a.First}|{a.Last}|{a.Count}|{a.Value}|{string.Join(',', a.RecordIds.Order(StringComparer.Ordinal))}").Order(StringComparer.Ordinal)];
}
