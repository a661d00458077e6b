using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.ScaleOut;
using Siem.Engine.Search;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>
/// A real nats-server with the partition mapping, one shared index (as Elasticsearch would be), an engine key and two
/// enrolled agents. Each engine replica reads one agent's subject (its own durable), so which engine detects which
/// record is fixed: that is what makes "the failures are split across both engines" exact rather than likely.
/// </summary>
internal sealed class ScaleOutFixture : IAsyncDisposable
{
    public const int Partitions = 8;
    public static readonly ScaleOutOptions FastScaleOut = ScaleOutOptions.Default with
    {
        Partitions = Partitions,
        SnapshotInterval = TimeSpan.FromMilliseconds(200),
        Membership = PartitionMembershipOptions.Default with { Heartbeat = TimeSpan.FromMilliseconds(200), Lease = TimeSpan.FromSeconds(1) },
    };

    private readonly List<ScaleOutEngine> _engines = [];
    public NatsServer Server { get; private init; } = null!;
    public bool ServerMapping { get; private init; } = true;
    public NatsConnection Nats { get; private init; } = null!;
    public NatsJSContext Js { get; private init; } = null!;
    public string Dir { get; } = Directory.CreateTempSubdirectory("siem-scaleout-").FullName;
    public SqliteIndexSink Index { get; private set; } = null!;
    public EngineKeyPair Key { get; } = EngineKeyPair.Create();
    public AgentRegistry Registry { get; } = new();
    public AgentIdentity[] Agents { get; } = [AgentIdentity.Create("agent-1"), AgentIdentity.Create("agent-2")];
    public CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(28));
    private readonly Dictionary<string, ulong> _batchSeq = [];

    public static string RepoRoot { get; } = FindRepoRoot();

    /// <param name="serverMapping">False: a broker without the mapping; the engines partition themselves (<c>partition_mapping: engine</c>).</param>
    public static async Task<ScaleOutFixture> StartAsync(bool serverMapping = true)
    {
        var server = await NatsServer.StartAsync(serverMapping ? $"mappings = {{ {CorrelationSubjects.ServerMapping(Partitions)} }}" : "");
        var nats = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await nats.ConnectAsync();
        var js = new NatsJSContext(nats);
        await EngineStreams.EnsureAsync(js);
        var f = new ScaleOutFixture { Server = server, Nats = nats, Js = js, ServerMapping = serverMapping };
        f.Index = SqliteIndexSink.Open(Path.Combine(f.Dir, "index"));
        foreach (var a in f.Agents) f.Registry.Register(a.AgentId, a.SigningPublicKey, PipelineHarness.Tenant);
        return f;
    }

    /// <summary>Starts engine replica <paramref name="agent"/> (reading only that agent's subject) with the given pack rules.</summary>
    /// <param name="partitionIndex">Where this engine's partitions write their alerts (default: the shared index).</param>
    /// <param name="stateDir">The pipeline's detection state dir (open alerts, as under <c>&lt;data&gt;/engine/state</c>); null = none.</param>
    /// <param name="lineage">Where the engine's lineage hops go (batches and alerts, partition alerts included); null = none.</param>
    public async Task<ScaleOutEngine> StartEngineAsync(int agent, string[] packRules, ScaleOutOptions? scaleOut = null, IIndexSink? partitionIndex = null, string? stateDir = null,
        Siem.Lineage.Hops.PipelineLineage? lineage = null)
    {
        string name = $"engine-{agent + 1}";
        var rules = packRules.Select(r => Path.Combine(RepoRoot, "rules", "packs", "linux", r)).ToArray();
        var options = EngineOptions.Default with
        {
            Durable = $"siem-{name}",
            FilterSubject = $"siem.events.{PipelineHarness.Tenant}.{Agents[agent].AgentId}",
            AckWait = TimeSpan.FromSeconds(5),
            StateDir = stateDir,
        };
        var engine = await ScaleOutEngine.StartAsync(name, Server.Url, Index, Key, Registry, rules, Path.Combine(Dir, name), options, (scaleOut ?? FastScaleOut) with { ServerMapping = ServerMapping }, Timeout.Token, partitionIndex, lineage);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Ships events as one sealed batch from agent <paramref name="agent"/>.</summary>
    public async Task ShipAsync(int agent, IReadOnlyList<LogEvent> events)
    {
        var identity = Agents[agent];
        var sealer = new EnvelopeSealer(identity, Key.AgreementPublicKey, Key.KeyId);
        ulong seq = _batchSeq[identity.AgentId] = _batchSeq.GetValueOrDefault(identity.AgentId) + 1;
        var env = sealer.Seal(seq, LogEventJson.EncodeBatch(events));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{identity.AgentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: Timeout.Token);
    }

    /// <summary>
    /// A brute force split over two engines: five failures from 203.0.113.5 through agent 0 (engine <paramref name="a"/>)
    /// and five through agent 1 (<paramref name="b"/>); neither alone reaches the threshold of ten. Returns once both
    /// engines drained and one of them reported the alert (indexed first, then published and reported).
    /// </summary>
    public async Task ShipSplitBruteForceAsync(ScaleOutEngine a, ScaleOutEngine b, Instant start)
    {
        await ShipAsync(0, Logins(Agents[0].AgentId, "a", start, 0, 5));
        await ShipAsync(1, Logins(Agents[1].AgentId, "b", start, 5, 5));
        await WaitDrainedAsync(a);
        await WaitDrainedAsync(b);
        await WaitUntilAsync(() => Task.FromResult(a.RaisedAlerts.Count + b.RaisedAlerts.Count > 0), "the brute-force alert");
    }

    /// <summary>sshd login events from one source address, ten seconds apart, as the agent's parser makes them.</summary>
    public static List<LogEvent> Logins(string agentId, string prefix, Instant start, int from, int count, string outcome = "failure", string ip = "203.0.113.5")
    {
        var list = new List<LogEvent>();
        for (int i = from; i < from + count; i++)
        {
            var e = new LogEvent
            {
                RecordId = $"{prefix}{i:D2}",
                AgentId = agentId,
                Timestamp = start + Duration.FromSeconds(10 * i),
                Original = $"web sshd[4242]: {(outcome == "failure" ? "Failed" : "Accepted")} password for root from {ip} port {40000 + i} ssh2",
            };
            e.Set(EcsFields.Message, e.Original);
            e.Set(EcsFields.ProcessName, "sshd");
            e.Set(EcsFields.EventAction, "ssh_login");
            e.Set(EcsFields.EventOutcome, outcome);
            e.Set(EcsFields.SourceIp, ip);
            e.Set(EcsFields.UserName, "root");
            list.Add(e);
        }
        return list;
    }

    public async Task<List<AlertDocument>> AlertsAsync(string ruleId) =>
        [.. (await Index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 1000 }, Timeout.Token))
            .Select(h => h.Alert!).Where(a => a.RuleId == ruleId)];

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test (instead of hanging) after the timeout.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        while (!await condition())
        {
            if (_engines.Find(e => e.Faulted) is { } faulted) throw new InvalidOperationException($"{faulted.Name}'s pipeline failed");
            if (Timeout.IsCancellationRequested) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    /// <summary>Waits until the engine's durable has acked everything it was given.</summary>
    public Task WaitDrainedAsync(ScaleOutEngine engine) => WaitUntilAsync(async () =>
    {
        var info = await Js.GetConsumerInfoAsync(EngineStreams.Events, $"siem-{engine.Name}", Timeout.Token);
        return info.NumPending == 0 && info.NumAckPending == 0;
    }, $"{engine.Name} acked every message");

    /// <summary>Waits until the engines between them own every partition, each exactly once.</summary>
    public Task WaitBalancedAsync(params ScaleOutEngine[] engines) => WaitUntilAsync(() => Task.FromResult(
        engines.SelectMany(e => e.Partitions.Running).Order().SequenceEqual(Enumerable.Range(0, Partitions))
        && engines.All(e => e.Partitions.Membership.Members.Count == engines.Length)), "the engines split the partitions");

    public async ValueTask DisposeAsync()
    {
        foreach (var e in _engines) await e.DisposeAsync();
        await Index.DisposeAsync();
        await Nats.DisposeAsync();
        await Server.DisposeAsync();
        Timeout.Dispose();
        Directory.Delete(Dir, recursive: true);
    }

    private static string FindRepoRoot()
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d != null; d = d.Parent)
        {
            if (Directory.Exists(Path.Combine(d.FullName, "rules", "packs"))) return d.FullName;
        }
        throw new InvalidOperationException("rules/packs not found above the test assembly");
    }
}
