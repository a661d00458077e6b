using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Agents;
using Siem.Engine.Enrollment;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests.Agents;

/// <summary>
/// One engine host as the engine role wires its agent side: its own data dir and connection, the registry file, the
/// <see cref="AgentRegistrySync"/>, an enrollment responder, and (on demand) a pipeline on the shared durable consumer.
/// </summary>
internal sealed class SharedAgentHost : IAsyncDisposable
{
    public const string Token = "enroll-token-0123456789";
    private readonly List<string> _log = [];
    private readonly EngineKeyPair _engineKey;
    private CancellationTokenSource? _stopPipeline;
    private Task _pipeline = Task.CompletedTask;
    private BatchSequenceTracker? _sequences;
    private SqliteIndexSink? _index;
    private bool _sharing;

    private SharedAgentHost(string dataDir, NatsConnection connection, EngineKeyPair engineKey)
    {
        DataDir = dataDir;
        Connection = connection;
        _engineKey = engineKey;
    }

    public string DataDir { get; }
    public NatsConnection Connection { get; }
    public AgentRegistry Registry { get; private set; } = null!;
    public AgentRegistrySync Sync { get; private set; } = null!;
    public EnrollmentResponder? Responder { get; private set; }
    public string RegistryPath => Path.Combine(DataDir, "engine", "agents.json");
    public string Log { get { lock (_log) return string.Join('\n', _log); } }

    /// <summary>A host on <paramref name="url"/> with its own connection (connected now) and data dir.</summary>
    public static async Task<SharedAgentHost> ConnectAsync(string dataDir, string url, EngineKeyPair engineKey, CancellationToken ct)
    {
        var connection = new NatsConnection(NatsOpts.Default with { Servers = [url], Name = Path.GetFileName(dataDir) });
        await connection.ConnectAsync(ct);
        Directory.CreateDirectory(Path.Combine(dataDir, "engine"));
        return new SharedAgentHost(dataDir, connection, engineKey);
    }

    /// <summary>Opens the registry file (the local cache) and starts sharing it; with <paramref name="enrollment"/>, answers enrollments too.</summary>
    /// <param name="watch">False: the host learns of other hosts' agents only by asking the bucket about an unknown one.</param>
    public async Task StartAsync(bool enrollment, CancellationToken ct, TimeSpan? reportFlushDelay = null, bool watch = true)
    {
        Registry = new AgentRegistry(RegistryPath, reportFlushDelay);
        Sync = AgentRegistrySync.Start(new NatsJSContext(Connection), Registry, 1, Write, watch);
        _sharing = true;
        if (!enrollment) return;
        Responder = new EnrollmentResponder(Connection, Registry, _engineKey, [Token], Write);
        await Responder.StartAsync(ct);
    }

    /// <summary>Stops sharing and closes the registry (the file stays, as after a shutdown).</summary>
    public async Task StopAsync()
    {
        if (Responder != null) await Responder.DisposeAsync();
        Responder = null;
        if (!_sharing) return;
        _sharing = false;
        await Sync.DisposeAsync();
        Registry.Dispose();
    }

    public void Write(string message)
    {
        lock (_log) _log.Add(message);
    }

    public EnvelopeOpenResult Open(SealedEnvelope env) =>
        new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [_engineKey.KeyId] = _engineKey }, Registry)
            .Open(h => env.Headers.FirstOrDefault(kv => kv.Key == h).Value, env.Body);

    /// <summary>Consumes the shared durable consumer into this host's own SQLite index.</summary>
    public void StartPipeline()
    {
        _index ??= SqliteIndexSink.Open(DataDir);
        _sequences ??= new BatchSequenceTracker(DataDir);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [_engineKey.KeyId] = _engineKey }, Registry);
        var pipeline = new EventPipeline(Connection, _index, opener, _sequences, options: EngineOptions.Default with { NakDelay = TimeSpan.FromMilliseconds(200) });
        _stopPipeline = new CancellationTokenSource();
        var stop = _stopPipeline.Token;
        _pipeline = Task.Run(() => pipeline.RunAsync(stop), CancellationToken.None);
    }

    public async Task StopPipelineAsync()
    {
        if (_stopPipeline is null) return;
        await _stopPipeline.CancelAsync();
        try
        {
            await _pipeline;
        }
        catch (OperationCanceledException)
        {
        }
        _stopPipeline.Dispose();
        _stopPipeline = null;
    }

    public Task<long> IndexedAsync() => _index is null ? Task.FromResult(0L) : _index.CountAsync(Siem.Engine.Search.SearchRequest.Parse("*") with { IncludeAlerts = false });

    /// <summary>Polls until <paramref name="condition"/> holds; fails with this host's log after <paramref name="ct"/>.</summary>
    public async Task WaitAsync(Func<Task<bool>> condition, string what, CancellationToken ct)
    {
        while (!await condition())
        {
            if (_pipeline.IsFaulted) throw new InvalidOperationException($"{Path.GetFileName(DataDir)}'s pipeline failed", _pipeline.Exception);
            if (ct.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}; {Path.GetFileName(DataDir)}'s log:\n{Log}");
            await Task.Delay(25, CancellationToken.None);
        }
    }

    public Task WaitAsync(Func<bool> condition, string what, CancellationToken ct) => WaitAsync(() => Task.FromResult(condition()), what, ct);

    public async ValueTask DisposeAsync()
    {
        await StopPipelineAsync();
        await StopAsync();
        _sequences?.Dispose();
        if (_index != null) await _index.DisposeAsync();
        await Connection.DisposeAsync();
    }
}
