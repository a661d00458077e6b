using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>Open correlation windows and suppressed alerts survive an engine restart (EngineOptions.StateDir).</summary>
public sealed class EngineStateTests() : EngineBrokerTest("siem-state-")
{
    private const string BruteForceRule = "81e7a567-a87a-4a69-8c3a-cd004cd81081";
    private readonly EngineKeyPair _key = EngineKeyPair.Create();
    private readonly AgentIdentity _agent = AgentIdentity.Create("agent-1");
    private readonly AgentRegistry _registry = new();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _registry.Register(_agent.AgentId, _agent.SigningPublicKey, PipelineHarness.Tenant);
    }

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 0)] // the same restart without kept state: the open window is forgotten, no alert
    public async Task A_threshold_rule_half_way_then_a_restart_then_the_rest_raises_one_alert(bool keepState, int expectedAlerts)
    {
        var root = FindRepoRoot();
        var alerts = await RestartHalfWayAsync(keepState, [Path.Combine(root, "rules", "packs", "linux", "mr_ssh_brute_force.yml")]);

        var brute = alerts.Where(a => a.RuleId == BruteForceRule).ToList();
        Assert.Equal(expectedAlerts, brute.Count);
        if (keepState)
        {
            Assert.Equal("203.0.113.5", brute[0].GroupBy["source.ip"]);
            // It fires on the tenth failure: six seen before the restart, four after.
            Assert.Equal([.. Enumerable.Range(0, 10).Select(i => $"fail{i:D2}")], brute[0].RecordIds.Order(StringComparer.Ordinal));
        }
    }

    [Theory]
    [InlineData(true, new long[] { 12 })]
    [InlineData(false, new long[] { 6, 6 })] // without kept state the repeats after the restart open a second alert
    public async Task Repeats_after_a_restart_fold_into_the_alert_opened_before_it(bool keepState, long[] expectedCounts)
    {
        var rule = WriteFailedLoginRule(Dir);
        var alerts = await RestartHalfWayAsync(keepState, [rule]);

        Assert.Equal(expectedCounts, alerts.Where(a => a.RuleId == "5d0c6a52-1f7e-4c59-9a55-3f1b2a7c9e01").OrderBy(a => a.FirstSeen).Select(a => a.Count));
    }

    [Fact]
    public async Task Alerts_of_a_group_whose_index_write_failed_are_indexed_when_the_group_is_redelivered()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var rule = WriteFailedLoginRule(Dir);
        var index = SqliteIndexSink.Open(Dir);
        try
        {
            var flaky = new EventPipelineTests.FlakySink(index, failures: 1);
            var sealer = new EnvelopeSealer(_agent, _key.AgreementPublicKey, _key.KeyId);
            await RunEngineUntilDrainedAsync(flaky, [rule], keepState: false, () => PublishAsync(sealer, 1, FailedLogins(_agent.AgentId, Instant.FromUtc(2026, 11, 22, 10, 0), 0, 6), timeout.Token), flush: false, timeout.Token);

            // The detector and the suppressor saw the records on the failed attempt; the redelivery must still bring the alert.
            var alerts = await index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 100 }, timeout.Token);
            Assert.Equal(2, flaky.Attempts);
            Assert.Equal([6L], alerts.Select(h => h.Alert!.Count));
        }
        finally
        {
            await index.DisposeAsync();
        }
    }

    internal static string WriteFailedLoginRule(string dir)
    {
        var rule = Path.Combine(dir, "failed_login.yml");
        File.WriteAllText(rule, """
            title: SSH Failed Login (state test)
            id: 5d0c6a52-1f7e-4c59-9a55-3f1b2a7c9e01
            logsource: {product: linux, service: sshd}
            detection:
                selection: {event.action: ssh_login, event.outcome: failure}
                condition: selection
            level: medium
            """);
        return rule;
    }

    /// <summary>Six failed logins, an engine restart, six more (all within five minutes, one source); returns the indexed alerts.</summary>
    private async Task<List<AlertDocument>> RestartHalfWayAsync(bool keepState, string[] rules)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var sealer = new EnvelopeSealer(_agent, _key.AgreementPublicKey, _key.KeyId);
        var start = Instant.FromUtc(2026, 11, 22, 10, 0);
        var index = SqliteIndexSink.Open(Dir);
        try
        {
            await RunEngineUntilDrainedAsync(index, rules, keepState, () => PublishAsync(sealer, 1, FailedLogins(_agent.AgentId, start, 0, 6), timeout.Token), flush: false, timeout.Token);
            await RunEngineUntilDrainedAsync(index, rules, keepState, () => PublishAsync(sealer, 2, FailedLogins(_agent.AgentId, start, 6, 6), timeout.Token), flush: true, timeout.Token);
            return [.. (await index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 100 }, timeout.Token)).Select(h => h.Alert!)];
        }
        finally
        {
            await index.DisposeAsync();
        }
    }

    private async Task RunEngineUntilDrainedAsync(IIndexSink index, string[] rules, bool keepState, Func<Task> publish, bool flush, CancellationToken ct)
    {
        var detector = SigmaDetector.Load(rules, Path.Combine(FindRepoRoot(), "rules", "packs", "pipelines", "default.yml"), CorrelationOptions.Default);
        using var tracker = new BatchSequenceTracker(Dir);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [_key.KeyId] = _key }, _registry);
        var pipeline = new EventPipeline(Connection, index, opener, tracker, detector, EngineOptions.Default with
        {
            StateDir = keepState ? Path.Combine(Dir, "state") : null,
        });
        using var stop = new CancellationTokenSource();
        await pipeline.CreateConsumerAsync(ct);
        var run = Task.Run(() => pipeline.RunAsync(stop.Token), CancellationToken.None);
        await publish();
        while (true)
        {
            var info = await Js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, ct);
            if (info.NumPending == 0 && info.NumAckPending == 0 && pipeline.Stats.MessagesAcked > 0) break;
            if (run.IsFaulted) await run;
            await Task.Delay(20, ct);
        }
        await stop.CancelAsync();
        await run;
        // Only at the very end: input ended, decide what is still open (a restart in between must not decide anything).
        if (flush) await pipeline.FlushDetectionsAsync(ct);
    }

    private async Task PublishAsync(EnvelopeSealer sealer, ulong seq, List<LogEvent> events, CancellationToken ct)
    {
        var env = sealer.Seal(seq, LogEventJson.EncodeBatch(events));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{_agent.AgentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: ct);
    }

    internal static List<LogEvent> FailedLogins(string agentId, Instant start, int from, int count)
    {
        var list = new List<LogEvent>();
        for (int i = from; i < from + count; i++)
        {
            var at = start + Duration.FromSeconds(10 * i);
            var e = new LogEvent
            {
                RecordId = $"fail{i:D2}",
                AgentId = agentId,
                Timestamp = at,
                Original = $"Nov 22 10:00:{i * 10 % 60:D2} web1 sshd[4242]: Failed password for root from 203.0.113.5 port {40000 + i} ssh2",
            };
            e.Set(EcsFields.Message, e.Original);
            e.Set(EcsFields.ProcessName, "sshd");
            e.Set(EcsFields.EventAction, "ssh_login");
            e.Set(EcsFields.EventOutcome, "failure");
            e.Set(EcsFields.SourceIp, "203.0.113.5");
            e.Set(EcsFields.UserName, "root");
            e.Set(EcsFields.HostName, "web1");
            list.Add(e);
        }
        return list;
    }

    internal static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, "rules", "packs"))) return d.FullName;
        }
        throw new InvalidOperationException("rules/packs not found above the test assembly");
    }
}
