using System.Diagnostics;
using System.Security.Cryptography;
using Siem.Collectors.Agent;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Sources;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Enrollment;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Pipeline;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;
using NodaTime;

namespace Siem.Host.Demo;

/// <summary>
/// The whole platform on one machine: a private nats-server (unless --nats), the streams, an engine key and an
/// enrollment token, an in-process agent enrolled over NATS that ships the inputs encrypted, and the engine
/// indexing into SQLite under the data dir while it prints alerts. Each run reads its inputs from the start
/// (a fresh file checkpoint); the agent keeps its identity and batch sequence in the data dir, and record ids are
/// deterministic, so re-running over the same files indexes nothing twice.
/// </summary>
internal sealed partial class DemoRunner
{
    public const string AgentId = "demo-agent";
    public const string Tenant = "demo";

    private readonly DemoOptions _o;
    private readonly TextWriter _out;
    private readonly TextWriter _err;
    private readonly object _printLock = new();

    private DemoRunner(DemoOptions options, TextWriter stdout, TextWriter stderr)
    {
        _o = options;
        _out = stdout;
        _err = stderr;
    }

    public static Task<int> RunAsync(DemoOptions options, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken) =>
        new DemoRunner(options, stdout, stderr).RunAsync(cancellationToken);

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var root = DemoPaths.RepoRoot();
        var given = _o.Inputs.Count > 0 ? _o.Inputs : DemoPaths.Samples(root);
        if (given.Count == 0)
        {
            Err("siem demo: no inputs: pass --input FILE (the bundled samples in deploy/samples/ were not found)");
            return 2;
        }
        var dataDir = Path.GetFullPath(_o.DataDir);
        var inputs = PrepareInputs(given, dataDir);
        if (inputs == null) return 2;

        var detector = LoadRules(root);
        if (detector == null) return 2;

        LocalNatsServer? server = null;
        string url;
        if (_o.NatsUrl != null)
        {
            url = _o.NatsUrl;
        }
        else
        {
            if (!await NatsServerInstaller.EnsureAsync(_err, cancellationToken).ConfigureAwait(false)) return 1;
            server = await LocalNatsServer.StartAsync(Path.Combine(dataDir, "nats"), cancellationToken: cancellationToken).ConfigureAwait(false);
            url = server.Url;
            Err($"demo: private nats-server (pid {server.Pid}) on {url}, store {server.StoreDir}");
        }
        try
        {
            return await RunWithBrokerAsync(url, dataDir, inputs, detector, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (server != null) await server.DisposeAsync().ConfigureAwait(false);
        }
    }

    private SigmaDetector? LoadRules(string? root)
    {
        var pack = DemoPaths.PackFiles(root);
        var dirs = pack.Concat(_o.RuleDirs).ToList();
        foreach (var missing in _o.RuleDirs.Where(d => !Directory.Exists(d) && !File.Exists(d)))
        {
            Err($"siem demo: rules path '{missing}' does not exist");
            return null;
        }
        // The demo replays files, which interleave in event time (auth.log and audit.log cover the same hours), so
        // correlation windows wait longer for late events than a live engine would; --once flushes them at the end.
        var correlation = CorrelationOptions.Default with { AllowedLateness = Duration.FromHours(2) };
        var detector = SigmaDetector.Load(dirs, DemoPaths.DefaultPipeline(root), correlation);
        var from = pack.Count > 0 ? new[] { $"{pack.Count} pack files" }.Concat(_o.RuleDirs) : _o.RuleDirs;
        Err($"demo: {detector.RuleCount} detection rules and {detector.CorrelationCount} correlation rules from {string.Join(", ", from)}");
        foreach (var p in detector.Problems.Take(10)) Err($"demo: rule problem: {p}");
        if (detector.Problems.Count > 10) Err($"demo: ... and {detector.Problems.Count - 10} more rule problems (all of them: `siem rules validate DIR`)");
        return detector;
    }

    private async Task<int> RunWithBrokerAsync(string url, string dataDir, List<string> inputs, SigmaDetector detector, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [url], Name = "siem-engine" });
        await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var js = new NatsJSContext(connection);
        await EngineStreams.EnsureAsync(js, cancellationToken).ConfigureAwait(false);

        // Engine identity: the X25519 key agents encrypt to, and the registry of enrolled agents.
        var engineDir = Path.Combine(dataDir, "engine");
        Directory.CreateDirectory(engineDir);
        var keys = EngineKeyRing.Open(dataDir, out _);
        var key = keys.Current;
        using var registry = new AgentRegistry(Path.Combine(engineDir, "agents.json"));
        // A one-run enrollment token: never printed or stored.
        var token = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        await using var responder = new EnrollmentResponder(connection, registry, key, [token], m => Err($"engine: {m}"));
        await responder.StartAsync(cancellationToken).ConfigureAwait(false);
        await using var keyRequests = new AgentKeyResponder(connection, new AgentKeyAuthority(registry, () => keys, TimeSpan.FromDays(1)), m => Err($"engine: {m}"));
        await keyRequests.StartAsync(cancellationToken).ConfigureAwait(false);

        var agentDir = Path.Combine(dataDir, "agent");
        await using (var enrollConnection = new NatsConnection(NatsOpts.Default with { Servers = [url], Name = "siem-agent-enroll" }))
        {
            await enrollConnection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var state = await AgentEnroller.EnrollAsync(enrollConnection, token, AgentId, Tenant, agentDir, cancellationToken: cancellationToken).ConfigureAwait(false);
            Err($"demo: agent '{state.AgentId}' enrolled; it publishes on {state.Subject} (encrypted to engine key {state.EngineKeyId})");
        }

        await using var index = OpenIndex(dataDir);
        using var alertHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        _delivery = CreateDelivery(alertHttp, dataDir, connection);
        using var sequences = new BatchSequenceTracker(dataDir);
        // Purges: batches a purge re-sealed (server key) are accepted; records of purged subjects are dropped on arrival.
        var serverKey = ServerSigningKey.LoadOrCreate(dataDir);
        var opener = new EnvelopeOpener(keys.ById, registry)
        {
            Resealers = new Dictionary<string, byte[]> { [serverKey.KeyId] = serverKey.PublicKey },
        };
        var forwardFilter = new Siem.Lineage.Purge.ForwardFilter(dataDir, Siem.Lineage.Subjects.SubjectPseudonymizer.Open(dataDir));
        await using var lineage = await StartLineageAsync(connection, dataDir, index, cancellationToken).ConfigureAwait(false);
        var pipeline = new EventPipeline(connection, index, opener, sequences, EngineDetector(detector, DemoPaths.RepoRoot()), EngineOptions.Default with { Log = _err, ForwardFilter = forwardFilter }) { Lineage = lineage.Pipeline };
        pipeline.AlertIndexed += OnAlert;
        await using var console = await StartConsoleAsync(dataDir, url, index, registry, pipeline, connection, lineage.Ledger, lineage.Pipeline.Subjects, cancellationToken).ConfigureAwait(false);
        if (_delivery != null)
        {
            _delivery.Dispatcher.Lineage = lineage.Pipeline.Recorder;
            await _delivery.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        using var stopEngine = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        await pipeline.CreateConsumerAsync(cancellationToken).ConfigureAwait(false);
        var engineRun = Task.Run(() => pipeline.RunAsync(stopEngine.Token), CancellationToken.None);

        var checkpoint = Path.Combine(agentDir, "demo-checkpoints.json");
        File.Delete(checkpoint);
        long totalBytes = inputs.Sum(p => new FileInfo(p).Length);
        long totalLines = inputs.Sum(CountLines);
        var source = new FileTailSource(new FileTailOptions { Paths = inputs, CheckpointPath = checkpoint });
        var clock = Stopwatch.StartNew();
        var agent = AgentHost.Start(new AgentHostOptions
        {
            StateDir = agentDir,
            Nats = NatsOpts.Default with { Servers = [url], Name = "siem-agent" },
            Log = m => Err($"agent: {m}"),
        }, [source]);
        Err($"demo: shipping {inputs.Count} file(s), {totalBytes} bytes: {string.Join(", ", inputs)}");

        int exit = 0;
        try
        {
            exit = await WatchAsync(agent, pipeline, js, totalBytes, totalLines, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await agent.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            // The stop flushed whatever the agent still held: let the engine take it before stopping.
            if (_o.Once && exit == 0) await WaitDrainedAsync(js, TimeSpan.FromSeconds(15)).ConfigureAwait(false);
            await stopEngine.CancelAsync().ConfigureAwait(false);
            try { await engineRun.ConfigureAwait(false); } catch (OperationCanceledException) { }
        }
        // Input ended: decide the correlation windows still open (they raise their alerts now).
        await pipeline.FlushDetectionsAsync(CancellationToken.None).ConfigureAwait(false);
        await DrainDeliveriesAsync().ConfigureAwait(false);
        await DrainLineageAsync(lineage).ConfigureAwait(false);
        if (index is ElasticsearchIndexSink es) await es.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
        var elapsed = clock.Elapsed;
        await ReportAsync(agent, pipeline, index, inputs, elapsed, dataDir).ConfigureAwait(false);
        await agent.DisposeAsync().ConfigureAwait(false);
        return exit;
    }
}
