using NodaTime;
using Siem.Engine.ScaleOut;
using Siem.Rules.Correlation;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>
/// Issue #8.2: correlation state partitioned across engine replicas. Two engines on one real nats-server (with the
/// partition subject mapping) and one shared index; each engine detects the records it consumes, and the correlation
/// windows live with the engine owning their partition.
/// </summary>
public sealed class CorrelationPartitionTests
{
    private const string BruteForce = "81e7a567-a87a-4a69-8c3a-cd004cd81081";
    private const string SuccessAfterFailures = "a91867da-547c-4324-91df-5317c88cb365";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    [Theory]
    [InlineData(true)]  // nats-server's partition() subject mapping places the matches
    [InlineData(false)] // partition_mapping: engine — the engines compute the same partition themselves
    public async Task A_brute_force_split_across_two_engines_raises_exactly_one_threshold_alert_with_every_failure(bool serverMapping)
    {
        await using var f = await ScaleOutFixture.StartAsync(serverMapping);
        var a = await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"]);
        var b = await f.StartEngineAsync(1, ["mr_ssh_brute_force.yml"]);
        await f.WaitBalancedAsync(a, b);

        await f.ShipSplitBruteForceAsync(a, b, Start);

        var alert = Assert.Single(await f.AlertsAsync(BruteForce));
        Assert.Equal(10, alert.Count);
        Assert.Equal("203.0.113.5", alert.GroupBy["source.ip"]);
        Assert.Equal([.. Enumerable.Range(0, 5).Select(i => $"a{i:D2}"), .. Enumerable.Range(5, 5).Select(i => $"b{i:D2}")], alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Equal(Start, alert.FirstSeen);
        Assert.Equal(Start + Duration.FromSeconds(90), alert.LastSeen);
        Assert.Equal(1, a.RaisedAlerts.Count + b.RaisedAlerts.Count);
        Assert.Equal(10, a.Partitions.Router.Published + b.Partitions.Router.Published);
        Assert.Equal(5, a.Pipeline.Stats.EventsIndexed);
        Assert.Equal(5, b.Pipeline.Stats.EventsIndexed);
    }

    [Theory]
    [InlineData(200)]     // the owner saved the partition before it died: the survivor restores it and replays the rest
    [InlineData(600_000)] // the owner never saved: the survivor replays the partition from the start of SIEM_CORR
    public async Task When_the_engine_owning_the_window_dies_mid_window_the_survivor_takes_over_and_the_threshold_fires_once(int snapshotMs)
    {
        await using var f = await ScaleOutFixture.StartAsync();
        var scaleOut = ScaleOutFixture.FastScaleOut with { SnapshotInterval = TimeSpan.FromMilliseconds(snapshotMs) };
        var engines = new[] { await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"], scaleOut), await f.StartEngineAsync(1, ["mr_ssh_brute_force.yml"], scaleOut) };
        await f.WaitBalancedAsync(engines);
        int partition = CorrelationSubjects.PartitionOf(CorrelationSubjects.Token(CorrelationEngine.GroupKeyOf(BruteForce, ["203.0.113.5"])), ScaleOutFixture.Partitions);
        int owner = Array.FindIndex(engines, e => e.Partitions.Running.Contains(partition));
        int survivor = 1 - owner;

        // Six failures through the owner, all counted in its window; then it dies without a goodbye.
        await f.ShipAsync(owner, ScaleOutFixture.Logins(f.Agents[owner].AgentId, "x", Start, 0, 6));
        await f.WaitDrainedAsync(engines[owner]);
        await f.WaitUntilAsync(async () => (await f.Js.GetStreamAsync(CorrelationSubjects.Stream, f.Timeout.Token)).State.Messages == 6, "six contributions in SIEM_CORR");
        if (snapshotMs < 1000) await Task.Delay(snapshotMs * 3); // let a periodic save happen
        await engines[owner].CrashAsync();

        // The survivor detects the last four; it takes the partition over once the dead engine's lease ran out.
        await f.ShipAsync(survivor, ScaleOutFixture.Logins(f.Agents[survivor].AgentId, "y", Start, 6, 4));
        await f.WaitDrainedAsync(engines[survivor]);
        await f.WaitUntilAsync(() => Task.FromResult(engines[survivor].Partitions.Running.Count == ScaleOutFixture.Partitions), "the survivor owns every partition");
        await f.WaitUntilAsync(() => Task.FromResult(engines[survivor].RaisedAlerts.Count > 0), "the brute-force alert");

        var alert = Assert.Single(await f.AlertsAsync(BruteForce));
        Assert.Equal(10, alert.Count);
        Assert.Equal([.. Enumerable.Range(0, 6).Select(i => $"x{i:D2}"), .. Enumerable.Range(6, 4).Select(i => $"y{i:D2}")], alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Single(engines[survivor].RaisedAlerts);
        Assert.Empty(engines[owner].RaisedAlerts);
    }

    [Fact]
    public async Task A_partition_whose_alert_write_fails_starts_over_from_its_saved_state_and_indexes_the_alert_once()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        var flaky = new EventPipelineTests.FlakySink(f.Index, failures: 2);
        var a = await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"], partitionIndex: flaky);
        await f.WaitBalancedAsync(a);

        await f.ShipAsync(0, ScaleOutFixture.Logins(f.Agents[0].AgentId, "a", Start, 0, 12));
        await f.WaitDrainedAsync(a);
        await f.WaitUntilAsync(() => Task.FromResult(a.RaisedAlerts.Count > 0), "the brute-force alert");

        // Two failed writes, each followed by a replay of the partition that raised the same alert again.
        Assert.Equal(3, flaky.Attempts);
        var alert = Assert.Single(await f.AlertsAsync(BruteForce));
        Assert.Equal(10, alert.Count);
        Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"a{i:D2}")], alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Single(a.RaisedAlerts);
    }

    [Fact]
    public async Task A_rule_reload_restarts_the_partitions_and_their_open_windows_carry_over()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        var a = await f.StartEngineAsync(0, ["mr_ssh_brute_force.yml"]);
        await f.WaitBalancedAsync(a);
        await f.ShipAsync(0, ScaleOutFixture.Logins(f.Agents[0].AgentId, "a", Start, 0, 6));
        await f.WaitDrainedAsync(a);
        await f.WaitUntilAsync(async () => (await f.Js.GetStreamAsync(CorrelationSubjects.Stream, f.Timeout.Token)).State.Messages == 6, "six contributions in SIEM_CORR");

        var rules = Siem.Rules.RuleLoader.Load([Path.Combine(ScaleOutFixture.RepoRoot, "rules", "packs", "linux", "mr_ssh_brute_force.yml")]);
        a.Partitions.UpdateRules(rules.Correlations.OfType<CorrelationRule>());
        await f.ShipAsync(0, ScaleOutFixture.Logins(f.Agents[0].AgentId, "a", Start, 6, 4));
        await f.WaitUntilAsync(() => Task.FromResult(a.RaisedAlerts.Count > 0), "the brute-force alert");

        var alert = Assert.Single(await f.AlertsAsync(BruteForce));
        Assert.Equal(10, alert.Count);
        Assert.Single(a.RaisedAlerts);
    }

    [Fact]
    public async Task An_ordered_temporal_correlation_completes_across_engines_failures_on_one_and_the_success_on_the_other()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        var a = await f.StartEngineAsync(0, ["mr_ssh_success_after_failures.yml"]);
        var b = await f.StartEngineAsync(1, ["mr_ssh_success_after_failures.yml"]);
        await f.WaitBalancedAsync(a, b);

        // The success reaches engine 2 first, the failures before it (in event time) reach engine 1 afterwards.
        await f.ShipAsync(1, ScaleOutFixture.Logins(f.Agents[1].AgentId, "ok", Start, 6, 1, outcome: "success"));
        await f.WaitDrainedAsync(b);
        await f.ShipAsync(0, ScaleOutFixture.Logins(f.Agents[0].AgentId, "fail", Start, 0, 5));
        await f.WaitDrainedAsync(a);
        await f.WaitUntilAsync(async () => (await f.AlertsAsync(SuccessAfterFailures)).Count > 0, "the success-after-failures alert");

        var alert = Assert.Single(await f.AlertsAsync(SuccessAfterFailures));
        Assert.Equal("critical", alert.Level);
        Assert.Equal("203.0.113.5", alert.GroupBy["source.ip"]);
        Assert.Equal([.. Enumerable.Range(0, 5).Select(i => $"fail{i:D2}"), "ok06"], alert.RecordIds.Order(StringComparer.Ordinal));
        // Five failures and the success routed by the engines, plus the inner correlation's alert chained to its parent.
        var stream = await f.Js.GetStreamAsync(CorrelationSubjects.Stream, f.Timeout.Token);
        Assert.Equal(7UL, stream.State.Messages);
    }

    [Fact]
    public async Task An_engine_refuses_to_start_when_the_server_does_not_map_correlation_subjects_and_says_what_to_add()
    {
        await using var server = await Siem.Testing.NatsServer.StartAsync();
        await using var nats = new Siem.Nats.NatsConnection(Siem.Nats.NatsOpts.Default with { Servers = [server.Url] });
        await nats.ConnectAsync();
        var js = new Siem.Nats.JetStream.NatsJSContext(nats);
        using var index = new TempIndex();
        var ex = await Assert.ThrowsAsync<InvalidOperationException>(() => CorrelationPartitions.StartAsync(js, [], new CorrelationRouter(js, 8, true), index.Sink,
            ScaleOutOptions.Default with { Partitions = 8 }, Duration.FromMinutes(15)));
        Assert.Contains("\"siem.corr.in.*.*\": \"siem.corr.p.{{partition(8,2)}}.{{wildcard(1)}}.{{wildcard(2)}}\"", ex.Message, StringComparison.Ordinal);
        Assert.Contains("scale_out.partition_mapping: engine", ex.Message, StringComparison.Ordinal);
    }

    private sealed class TempIndex : IDisposable
    {
        private readonly string _dir = Directory.CreateTempSubdirectory("siem-scaleout-idx-").FullName;
        public TempIndex() => Sink = Siem.Engine.Index.SqliteIndexSink.Open(_dir);
        public Siem.Engine.Index.SqliteIndexSink Sink { get; }
        public void Dispose()
        {
            Sink.DisposeAsync().AsTask().GetAwaiter().GetResult();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
