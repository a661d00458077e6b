using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Purge;
using Siem.Lineage.Audit;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Lineage.Tests;

/// <summary>
/// A real nats-server with the engine's streams, a SQLite index and lineage ledger in a temp data dir, one enrolled
/// agent, and an engine pipeline (forward filter on, lineage into the ledger, re-sealed batches trusted) that can be
/// stopped and started again, plus the purge coordinator over every store.
/// </summary>
internal sealed class PurgeHarness : IAsyncDisposable
{
    public const string Tenant = "t1";
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenSource _run = new();
    private Task _running = Task.CompletedTask;
    private BatchSequenceTracker? _tracker;

    public required NatsServer Server { get; init; }
    public required NatsConnection Connection { get; init; }
    public required NatsJSContext Js { get; init; }
    public required string DataDir { get; init; }
    public required SqliteIndexSink Index { get; init; }
    public required LineageLedger Ledger { get; init; }
    public required SubjectPseudonymizer Subjects { get; init; }
    public required SqliteSubjectKeyStore Keys { get; init; }
    public required AgentRegistry Registry { get; init; }
    public required EngineKeyPair EngineKey { get; init; }
    public required ServerSigningKey ServerKey { get; init; }
    public required EnvelopeSealer Sealer { get; init; }
    public EventPipeline? Pipeline { get; private set; }
    public ulong NextBatch { get; set; } = 1;

    public static async Task<PurgeHarness> StartAsync()
    {
        var server = await NatsServer.StartAsync();
        var conn = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await conn.ConnectAsync();
        var js = new NatsJSContext(conn);
        await EngineStreams.EnsureAsync(js);
        var dir = Directory.CreateTempSubdirectory("siem-purge-").FullName;
        var registry = new AgentRegistry();
        var key = EngineKeyPair.Create();
        var agent = AgentIdentity.Create("agent-1");
        registry.Register(agent.AgentId, agent.SigningPublicKey, Tenant);
        return new PurgeHarness
        {
            Server = server, Connection = conn, Js = js, DataDir = dir, Index = SqliteIndexSink.Open(dir), Ledger = LineageLedger.Open(dir),
            Subjects = SubjectPseudonymizer.Open(dir), Keys = SqliteSubjectKeyStore.Open(dir), Registry = registry, EngineKey = key, ServerKey = ServerSigningKey.LoadOrCreate(dir),
            Sealer = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId),
        };
    }

    public EnvelopeOpener Opener() =>
        new(new Dictionary<string, EngineKeyPair> { [EngineKey.KeyId] = EngineKey }, Registry) { Resealers = new Dictionary<string, byte[]> { [ServerKey.KeyId] = ServerKey.PublicKey } };

    /// <summary>The engine's detection state dir, as <c>siem serve</c> has it.</summary>
    public string StateDir => EngineStatePurgeTarget.StateDirOf(DataDir);

    /// <param name="detector">Rules to run (null = none); with rules, the open windows and alerts are kept in <see cref="StateDir"/>
    /// and purges announced on SIEM_CONTROL reach the running engine, as <c>siem serve</c> wires them.</param>
    public void StartEngine(Siem.Engine.Detection.IDetector? detector = null)
    {
        _tracker ??= new BatchSequenceTracker(DataDir);
        _run = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
        Pipeline = new EventPipeline(Connection, Index, Opener(), _tracker, detector, EngineOptions.Default with
        {
            NakDelay = TimeSpan.FromMilliseconds(200),
            ForwardFilter = new ForwardFilter(DataDir, Subjects),
            StateDir = detector == null ? null : StateDir,
            StateSnapshotInterval = TimeSpan.FromMilliseconds(200),
        })
        { Lineage = new PipelineLineage(Ledger, Subjects, "test-engine", "sqlite") };
        var p = Pipeline;
        _running = Task.Run(() => p.RunAsync(_run.Token));
        if (detector == null) return;
        var watcher = new Siem.Engine.Control.LiveChangeWatcher(Js) { EngineId = "harness-engine", Forget = p.ForgetAsync };
        _watching = Task.Run(() => watcher.RunAsync(0, () => { }, _ => { }, _run.Token));
    }

    private Task _watching = Task.CompletedTask;

    public async Task StopEngineAsync()
    {
        await _run.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        await _watching;
    }

    /// <summary>One record of a person: user name and source address, in a line that names both.</summary>
    public static LogEvent Record(string id, string user, string ip, int minute)
    {
        var e = new LogEvent
        {
            RecordId = id,
            AgentId = "agent-1",
            Timestamp = Instant.FromUtc(2026, 11, 22, 3, minute, 0),
            Original = $"Nov 22 03:{minute:D2}:00 web1 sshd[42]: Failed password for {user} from {ip} port 22 ssh2",
        };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.UserName, user);
        e.Set(EcsFields.SourceIp, ip);
        return e;
    }

    /// <summary>Seals and publishes one batch as the agent does; returns its stream sequence.</summary>
    public async Task<ulong> PublishAsync(params LogEvent[] records)
    {
        var env = Sealer.Seal(NextBatch++, LogEventJson.EncodeBatch(records));
        var headers = new NatsHeaders();
        foreach (var (k, v) in env.Headers) headers.Add(k, v);
        var ack = await Js.PublishAsync($"siem.events.{Tenant}.agent-1", env.Body, headers, env.MsgId);
        return ack.Seq;
    }

    public async Task WaitIndexedAsync(long events, CancellationToken ct)
    {
        while (Pipeline!.Stats.EventsIndexed + Pipeline.Stats.PurgeDropped < events) await Task.Delay(20, ct);
    }

    public PurgeCoordinator Coordinator(PurgeOptions? options = null) =>
        new(DataDir,
        [
            new ForwardFilterTarget(),
            new IndexPurgeTarget(Index),
            new JetStreamPurgeTarget(Js, Opener(), new EnvelopeResealer(ServerKey, EngineKey), Subjects, JetStreamPurgeOptions.Default with { Ledger = Ledger }),
            new CorrelationStreamPurgeTarget(Js),
            new EngineStatePurgeTarget([StateDir], new Siem.Engine.Control.LiveChangePublisher(Js)),
            new PartitionStatePurgeTarget(Js),
            new FilesPurgeTarget(),
            new LedgerPurgeTarget(Ledger, (id, ct) => Keys.DestroyKeyAsync(id, ct).AsTask()),
        ], Subjects, new AuditLog(DataDir), options);

    public Task WriteAlertAsync(string id, string[] recordIds, Dictionary<string, string> groupBy) =>
        Index.WriteAsync([], [new AlertDocument
        {
            AlertId = id, RuleId = "rule-1", Title = "Brute force", RecordIds = recordIds, GroupBy = groupBy, Fields = groupBy,
            FirstSeen = Instant.FromUtc(2026, 11, 22, 3, 0), LastSeen = Instant.FromUtc(2026, 11, 22, 3, 30), Count = recordIds.Length,
        }]);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _running; } catch (OperationCanceledException) { }
        await _watching;
        _tracker?.Dispose();
        await Index.DisposeAsync();
        await Ledger.DisposeAsync();
        Keys.Dispose();
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
        try { Directory.Delete(DataDir, recursive: true); } catch (IOException) { }
    }
}
