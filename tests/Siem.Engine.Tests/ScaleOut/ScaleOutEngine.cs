using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.ScaleOut;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>One scaled-out engine replica as `siem serve` wires it: its own connection, pipeline, routing detector and partitions.</summary>
internal sealed class ScaleOutEngine : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private NatsConnection _nats = null!;
    private BatchSequenceTracker _tracker = null!;
    private Task _run = Task.CompletedTask;
    private Task _watch = Task.CompletedTask;
    private bool _stopped;

    public required string Name { get; init; }
    public EventPipeline Pipeline { get; private set; } = null!;
    public CorrelationPartitions Partitions { get; private set; } = null!;
    public List<AlertDocument> RaisedAlerts { get; } = [];

    public static async Task<ScaleOutEngine> StartAsync(string name, string natsUrl, IIndexSink index, EngineKeyPair key, AgentRegistry registry,
        string[] rules, string stateDir, EngineOptions engineOptions, ScaleOutOptions scaleOut, CancellationToken cancellationToken, IIndexSink? partitionIndex = null,
        Siem.Lineage.Hops.PipelineLineage? lineage = null)
    {
        var engine = new ScaleOutEngine { Name = name };
        engine._nats = new NatsConnection(NatsOpts.Default with { Servers = [natsUrl] });
        await engine._nats.ConnectAsync(cancellationToken);
        var js = new NatsJSContext(engine._nats);
        var router = new CorrelationRouter(js, scaleOut.Partitions, scaleOut.ServerMapping);
        var detector = SigmaDetector.Load(rules, Path.Combine(ScaleOutFixture.RepoRoot, "rules", "packs", "pipelines", "default.yml"), CorrelationOptions.Default, router);
        Directory.CreateDirectory(stateDir);
        engine._tracker = new BatchSequenceTracker(stateDir);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [key.KeyId] = key }, registry);
        engine.Pipeline = new EventPipeline(engine._nats, index, opener, engine._tracker, detector, engineOptions) { CorrelationOutbox = router, Lineage = lineage };
        engine.Partitions = await CorrelationPartitions.StartAsync(js, detector.CorrelationRules, router, partitionIndex ?? index, scaleOut with { EngineId = name },
            engineOptions.SuppressionWindow, lineage: lineage, log: null, cancellationToken: cancellationToken);
        engine.Partitions.AlertIndexed += (alert, isNew) =>
        {
            if (!isNew) return;
            lock (engine.RaisedAlerts) engine.RaisedAlerts.Add(alert);
        };
        await engine.Pipeline.CreateConsumerAsync(cancellationToken);
        engine._run = Task.Run(() => engine.Pipeline.RunAsync(engine._stop.Token), CancellationToken.None);
        // Purges announced on SIEM_CONTROL reach the pipeline and the partitions, as EngineRole wires them.
        var watcher = new Siem.Engine.Control.LiveChangeWatcher(js)
        {
            EngineId = name,
            Forget = forget => Task.WhenAll(engine.Pipeline.ForgetAsync(forget), engine.Partitions.ForgetAsync(forget, engine._stop.Token)),
        };
        engine._watch = Task.Run(() => watcher.RunAsync(0, () => { }, _ => { }, engine._stop.Token), CancellationToken.None);
        return engine;
    }

    public bool Faulted => _run.IsFaulted;

    /// <summary>What a kill -9 leaves: no goodbye to the other engines, no final save of its partitions, its pulled messages unacked.</summary>
    public async Task CrashAsync()
    {
        _stopped = true;
        await Partitions.AbandonAsync();
        await _stop.CancelAsync();
        try { await _run; } catch (OperationCanceledException) { }
        await _watch;
        await _nats.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await _stop.CancelAsync();
            try { await _run; } catch (OperationCanceledException) { }
            await _watch;
            await Partitions.DisposeAsync();
            await _nats.DisposeAsync();
        }
        _tracker.Dispose();
        _stop.Dispose();
    }
}
