using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Lineage.Tests;

/// <summary>
/// A real nats-server, the engine and lineage streams, one enrolled agent, a pipeline reporting lineage through
/// <see cref="Recorder"/> (JetStream by default) and a ledger consumer storing hops in a ledger under a temp data dir
/// (the same pattern as the engine's PipelineHarness).
/// </summary>
internal sealed class LineageHarness : IAsyncDisposable
{
    public const string Tenant = "t1";
    public const string RuleYaml = """
        title: Failed login
        id: 0d4b2b0e-1111-4c3e-9a57-6d1b3a7c0001
        level: high
        logsource:
            product: linux
        detection:
            selection:
                event.outcome: failure
            condition: selection
        """;

    public required NatsServer Server { get; init; }
    public required NatsConnection Connection { get; init; }
    public required NatsJSContext Js { get; init; }
    public required string DataDir { get; init; }
    public required SqliteIndexSink Index { get; init; }
    public required LineageLedger Ledger { get; init; }
    public required SubjectPseudonymizer Subjects { get; init; }
    public required AgentIdentity Agent { get; init; }
    public required EnvelopeSealer Sealer { get; init; }
    public required EventPipeline Pipeline { get; init; }
    public required LedgerConsumer Consumer { get; init; }
    public CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(25));
    private readonly CancellationTokenSource _stop = new();
    private Task _engine = Task.CompletedTask;
    private Task _ledger = Task.CompletedTask;
    private BatchSequenceTracker? _tracker;

    /// <param name="wrapRecorder">Wraps the JetStream recorder (to inject failures).</param>
    /// <param name="options">Engine options for the harness's data dir; null = defaults with a short nak delay.</param>
    public static async Task<LineageHarness> StartAsync(Func<ILineageRecorder, ILineageRecorder>? wrapRecorder = null, Func<string, EngineOptions>? options = null)
    {
        var server = await NatsServer.StartAsync();
        var conn = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await conn.ConnectAsync();
        var js = new NatsJSContext(conn);
        await EngineStreams.EnsureAsync(js);
        var dir = Directory.CreateTempSubdirectory("siem-lineage-").FullName;
        var ruleDir = Directory.CreateDirectory(Path.Combine(dir, "rules")).FullName;
        File.WriteAllText(Path.Combine(ruleDir, "failed_login.yml"), RuleYaml);
        var registry = new AgentRegistry();
        var key = EngineKeyPair.Create();
        var agent = AgentIdentity.Create("agent-1");
        registry.Register(agent.AgentId, agent.SigningPublicKey, Tenant);
        var tracker = new BatchSequenceTracker(dir);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [key.KeyId] = key }, registry);
        var subjects = SubjectPseudonymizer.Open(dir);
        var ledger = LineageLedger.Open(dir);
        var index = SqliteIndexSink.Open(dir);
        var recorder = new JetStreamLineageRecorder(conn);
        var pipeline = new EventPipeline(conn, index, opener, tracker, SigmaDetector.Load([ruleDir], null), options?.Invoke(dir) ?? EngineOptions.Default with { NakDelay = TimeSpan.FromMilliseconds(200) })
        {
            Lineage = new PipelineLineage(wrapRecorder?.Invoke(recorder) ?? recorder, subjects, "engine-test", "sqlite"),
        };
        var consumer = new LedgerConsumer(conn, ledger) { NakDelay = TimeSpan.FromMilliseconds(200) };
        await consumer.CreateConsumerAsync();
        var h = new LineageHarness
        {
            Server = server, Connection = conn, Js = js, DataDir = dir, Index = index, Ledger = ledger, Subjects = subjects, Agent = agent,
            Sealer = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId), Pipeline = pipeline, Consumer = consumer,
        };
        h._tracker = tracker;
        h._engine = Task.Run(() => pipeline.RunAsync(h._stop.Token));
        h._ledger = Task.Run(() => consumer.RunAsync(h._stop.Token));
        return h;
    }

    /// <summary>A failed ssh login of <paramref name="user"/> from <paramref name="ip"/> read from /var/log/auth.log.</summary>
    public static LogEvent Login(string id, int second, string user, string ip, bool failed = true)
    {
        var e = new LogEvent
        {
            RecordId = id,
            AgentId = "agent-1",
            Timestamp = Instant.FromUtc(2026, 11, 22, 3, 0, second),
            Original = $"Nov 22 03:00:{second:D2} web1 sshd[42]: {(failed ? "Failed" : "Accepted")} password for {user} from {ip} port 22 ssh2",
        };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.HostName, "web1");
        e.Set(EcsFields.LogFilePath, "/var/log/auth.log");
        e.Set(EcsFields.EventOutcome, failed ? "failure" : "success");
        e.Set(EcsFields.UserName, user);
        e.Set(EcsFields.SourceIp, ip);
        return e;
    }

    public Task<PubAck> PublishAsync(ulong seq, IReadOnlyList<LogEvent> events)
    {
        var env = Sealer.Seal(seq, LogEventJson.EncodeBatch(events));
        var headers = new NatsHeaders();
        foreach (var (k, v) in env.Headers) headers.Add(k, v);
        return Js.PublishAsync($"siem.events.{Tenant}.{Agent.AgentId}", env.Body, headers, cancellationToken: Timeout.Token);
    }

    /// <summary>Waits until the engine acked every event message and the ledger stored every hop.</summary>
    public async Task WaitSettledAsync()
    {
        while (true)
        {
            if (_engine.IsFaulted) throw new InvalidOperationException("pipeline failed", _engine.Exception);
            if (_ledger.IsFaulted) throw new InvalidOperationException("ledger consumer failed", _ledger.Exception);
            var engine = await Js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, Timeout.Token);
            if (engine.NumPending == 0 && engine.NumAckPending == 0 && await Consumer.IsDrainedAsync(Timeout.Token)) return;
            if (Timeout.IsCancellationRequested) throw new TimeoutException("timed out waiting for the engine and the ledger to settle");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _engine; } catch (OperationCanceledException) { }
        try { await _ledger; } catch (OperationCanceledException) { }
        _tracker?.Dispose();
        await Index.DisposeAsync();
        await Ledger.DisposeAsync();
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
        Timeout.Dispose();
        _stop.Dispose();
        Directory.Delete(DataDir, recursive: true);
    }
}
