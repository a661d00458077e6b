using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>A real nats-server, the streams, an engine key, one enrolled agent and a running pipeline over a temp data dir.</summary>
internal sealed class PipelineHarness : IAsyncDisposable
{
    public const string Tenant = "t1";
    public required NatsServer Server { get; init; }
    public required NatsConnection Connection { get; init; }
    public required NatsJSContext Js { get; init; }
    public required string DataDir { get; init; }
    public required SqliteIndexSink Index { get; init; }
    public required AgentRegistry Registry { get; init; }
    public required EngineKeyPair EngineKey { get; init; }
    public required AgentIdentity Agent { get; init; }
    public required EnvelopeSealer Sealer { get; init; }
    public EventPipeline Pipeline { get; private set; } = null!;
    public CancellationTokenSource Timeout { get; } = new(TimeSpan.FromSeconds(25));
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private BatchSequenceTracker? _tracker;

    /// <param name="protector">Crypto-shredding for the index, made for the harness's data dir; null = fields stored as they come.</param>
    /// <param name="options">Engine options for the harness's data dir; null = defaults with a short nak delay.</param>
    public static async Task<PipelineHarness> StartAsync(Func<IIndexSink, IIndexSink>? wrapSink = null, Func<string, Siem.Lineage.Shredding.FieldProtector>? protector = null,
        Func<string, EngineOptions>? options = null, Siem.Engine.Detection.IDetector? detector = null)
    {
        var server = await NatsServer.StartAsync();
        var conn = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await conn.ConnectAsync();
        var js = new NatsJSContext(conn);
        await EngineStreams.EnsureAsync(js);
        var dir = Directory.CreateTempSubdirectory("siem-pipe-").FullName;
        var registry = new AgentRegistry();
        var key = EngineKeyPair.Create();
        var agent = AgentIdentity.Create("agent-1");
        registry.Register(agent.AgentId, agent.SigningPublicKey, Tenant);
        var h = new PipelineHarness
        {
            Server = server, Connection = conn, Js = js, DataDir = dir, Index = SqliteIndexSink.Open(dir, protector?.Invoke(dir)),
            Registry = registry, EngineKey = key, Agent = agent, Sealer = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId),
        };
        h.StartPipeline(wrapSink?.Invoke(h.Index) ?? h.Index, options?.Invoke(dir) ?? EngineOptions.Default with { NakDelay = TimeSpan.FromMilliseconds(200) }, detector);
        return h;
    }

    private void StartPipeline(IIndexSink sink, EngineOptions options, Siem.Engine.Detection.IDetector? detector)
    {
        _tracker = new BatchSequenceTracker(DataDir);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [EngineKey.KeyId] = EngineKey }, Registry);
        Pipeline = new EventPipeline(Connection, sink, opener, _tracker, detector, options);
        _run = Task.Run(() => Pipeline.RunAsync(_stop.Token));
    }

    /// <summary>Stops the pipeline as SIGTERM does and waits for it to return.</summary>
    public async Task StopPipelineAsync()
    {
        await _stop.CancelAsync();
        await _run;
    }

    public static List<LogEvent> Events(string agentId, int batch, int count)
    {
        var list = new List<LogEvent>();
        for (int i = 0; i < count; i++)
        {
            var e = new LogEvent
            {
                RecordId = $"b{batch}r{i}",
                AgentId = agentId,
                Timestamp = Instant.FromUtc(2026, 11, 22, 3, batch, i),
                Original = $"Nov 22 03:{batch:D2}:{i:D2} web1 sshd[42]: Failed password for root from 10.0.0.{batch} port 22 ssh2 batch{batch} line{i}",
            };
            e.Set(EcsFields.Message, e.Original);
            e.Set(EcsFields.SourceIp, $"10.0.0.{batch}");
            list.Add(e);
        }
        return list;
    }

    public static NatsHeaders Headers(SealedEnvelope env, bool withMsgId = true)
    {
        var h = new NatsHeaders();
        foreach (var (k, v) in env.Headers)
        {
            if (withMsgId || k != "Nats-Msg-Id") h.Add(k, v);
        }
        return h;
    }

    public SealedEnvelope Seal(ulong seq, IReadOnlyList<LogEvent> events) => Sealer.Seal(seq, LogEventJson.EncodeBatch(events));

    public Task<PubAck> PublishAsync(SealedEnvelope env, bool withMsgId = true, byte[]? body = null, string? subject = null) =>
        Js.PublishAsync(subject ?? $"siem.events.{Tenant}.{Agent.AgentId}", body ?? env.Body, Headers(env, withMsgId), cancellationToken: Timeout.Token);

    public Task<long> CountAsync(string query = "*") => Index.CountAsync(Siem.Engine.Search.SearchRequest.Parse(query) with { IncludeAlerts = false });

    /// <summary>Polls until <paramref name="condition"/> holds; fails the test (instead of hanging) after the harness timeout.</summary>
    public async Task WaitUntilAsync(Func<Task<bool>> condition, string what)
    {
        while (!await condition())
        {
            if (_run.IsFaulted) throw new InvalidOperationException("pipeline failed", _run.Exception);
            if (Timeout.IsCancellationRequested) throw new TimeoutException($"timed out waiting for: {what}");
            await Task.Delay(50);
        }
    }

    public async Task<ConsumerInfo> ConsumerInfoAsync() =>
        await Js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, Timeout.Token);

    /// <summary>Waits until the consumer has nothing pending and nothing unacknowledged.</summary>
    public Task WaitDrainedAsync() => WaitUntilAsync(async () =>
    {
        var info = await ConsumerInfoAsync();
        return info.NumPending == 0 && info.NumAckPending == 0;
    }, "the engine acked every message");

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _run; } catch (OperationCanceledException) { }
        _tracker?.Dispose();
        await Index.DisposeAsync();
        await Connection.DisposeAsync();
        await Server.DisposeAsync();
        Timeout.Dispose();
        _stop.Dispose();
        Directory.Delete(DataDir, recursive: true);
    }
}
