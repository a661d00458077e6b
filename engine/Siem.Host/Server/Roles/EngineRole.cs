using Siem.Core.Envelope;
using Siem.Engine.Channels;
using Siem.Engine.Control;
using Siem.Engine.Detection;
using Siem.Engine.Enrollment;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Keys;
using Siem.Engine.Pipeline;
using Siem.Engine.ScaleOut;
using Siem.Engine.Telemetry;

namespace Siem.Host.Server.Roles;

/// <summary>
/// The <c>engine</c> role: answers agent enrollment (when tokens are configured), consumes the event stream through the
/// shared durable consumer, verifies, detects, indexes, acks, and delivers new alerts to the configured channels in the
/// background from the alerts stream (durable: a crash leaves undelivered alerts for the next start), and applies rule
/// changes and agent revocations made through the API live (<see cref="LiveChanges"/>), and key rotations
/// (<see cref="LiveEngineKeys"/>). It answers agents' key requests (<see cref="AgentKeyResponder"/>). Several processes with this role share the work.
/// </summary>
internal sealed partial class EngineRole : IServerRole
{
    public string Name => "engine";

    /// <summary>How often the key files and the agent registry are checked for changes made by other processes.</summary>
    private static readonly TimeSpan KeyCheckInterval = TimeSpan.FromSeconds(2);

    public async Task RunAsync(ServerContext context, CancellationToken cancellationToken)
    {
        var config = context.Config;
        void Info(string m) => context.Info("engine", m);
        await JetStreamSetUp.RetryAsync(() => EngineStreams.EnsureAsync(context.JetStream, config.NatsReplicas, cancellationToken), Info, cancellationToken).ConfigureAwait(false);
        var reportedLineage = await ReportedLineageAsync(context, Info, cancellationToken).ConfigureAwait(false);

        var (keys, registry) = LoadIdentity(config.DataDir, Info);
        using var registryLifetime = registry; // writes the agents' last coalesced key reports at shutdown
        // Agents enrolled or revoked on other hosts (separate data dirs) arrive through the SIEM_AGENTS bucket, and ours go out there.
        await using var agentSync = Siem.Engine.Agents.AgentRegistrySync.Start(context.JetStream, registry, config.NatsReplicas, Info);
        // Keys change while the engine runs (siem keys rotate|retire, agents rotating their identity through any engine).
        var liveKeys = new LiveEngineKeys(config.DataDir, keys, registry, Info);
        // Rotations made on other hosts (separate data dirs) arrive through the SIEM_ENGINE_KEYS bucket, and ours go out there.
        var keyDistribution = await JetStreamSetUp.RetryAsync(() => EngineKeyDistribution.StartAsync(context.JetStream, config.DataDir, liveKeys, config.NatsReplicas, Info, cancellationToken), Info, cancellationToken).ConfigureAwait(false);
        await using var responder = config.EnrollmentTokens.Count > 0
            ? new EnrollmentResponder(context.Nats, registry, () => liveKeys.Ring.Current, config.EnrollmentTokens, Info)
            : null;
        if (responder != null) await responder.StartAsync(cancellationToken).ConfigureAwait(false);
        else Info("enrollment closed (no enrollment.tokens_env/tokens_file); agents already enrolled keep working");
        await using var keyRequests = new AgentKeyResponder(context.Nats, new Siem.Core.Security.AgentKeyAuthority(registry, () => liveKeys.Ring, config.AgentKeyGrace), Info);
        await keyRequests.StartAsync(cancellationToken).ConfigureAwait(false);

        // Scale-out: correlation matches go to the engines owning their partitions instead of windows in this process.
        var router = config.ScaleOut is { } scaleOut ? new CorrelationRouter(context.JetStream, scaleOut.Partitions, scaleOut.ServerMapping) : null;
        // Rule changes and revocations made through an API process elsewhere arrive on the SIEM_CONTROL bucket.
        var live = new LiveChangeWatcher(context.JetStream, Info, config.NatsReplicas);
        ulong rulesAt = await JetStreamSetUp.RetryAsync(() => live.RulesRevisionAsync(cancellationToken), Info, cancellationToken).ConfigureAwait(false);
        var (detector, rules) = LoadRules(config, Info, router);
        using var detectorLifetime = detector;
        await using var index = OpenIndex(config, context.Log);
        using var alertHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(15) };
        await using var delivery = AlertDeliveryFactory.Create(config.AlertChannelsFile, config.DataDir, alertHttp, context.Nats, new DurableDeliveryOptions
        {
            UpdateInterval = config.AlertUpdateInterval,
            // The same knob as the events consumer: how soon a crashed engine's unfinished work goes to another process.
            AckWait = config.AckWait,
            ResolveAfterWindow = config.AlertResolveOnWindowEnd ? config.SuppressionWindow : null,
            StateReplicas = config.NatsReplicas,
        }, Info);
        // Before anything can raise an alert (pipeline, partition workers): each channel's consumer must exist before the first alert is published.
        if (delivery != null)
        {
            delivery.Dispatcher.Lineage = reportedLineage?.Recorder;
            await delivery.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        await using var partitions = router != null
            ? await CorrelationPartitions.StartAsync(context.JetStream, ((SigmaDetector)detector.Current).CorrelationRules, router, index,
                config.ScaleOut! with { EngineId = config.ScaleOut.EngineId ?? $"{config.Instance}-{Environment.ProcessId}" },
                config.SuppressionWindow, CorrelationOptions(config),
                lineage: reportedLineage is { } partitionLineage ? partitionLineage with { Index = IndexName(config) } : null,
                log: Info, cancellationToken: cancellationToken).ConfigureAwait(false)
            : null;
        if (partitions != null) rules.Changed += () => ReloadPartitionRules(partitions, rules, Info);
        using var sequences = new BatchSequenceTracker(config.DataDir);
        // Purges: batches a purge re-sealed with the server key are accepted; purged subjects' records are dropped on arrival.
        var serverKey = Siem.Core.Security.ServerSigningKey.LoadOrCreate(config.DataDir);
        var opener = new EnvelopeOpener(keys.ById, registry)
        {
            Resealers = new Dictionary<string, byte[]> { [serverKey.KeyId] = serverKey.PublicKey },
            // A key not held: the key files first (this host), then its entry in the bucket (a rotation on another host the watch has not delivered yet).
            ReloadEngineKeys = keyId => liveKeys.Refresh() | keyDistribution.TryTakeUp(keyId),
        };
        liveKeys.Changed += ring => opener.UseEngineKeys(ring.ById);
        var pipeline = new EventPipeline(context.Nats, index, opener, sequences, detector, new EngineOptions
        {
            Durable = config.Durable,
            BatchSize = config.BatchSize,
            BufferCapacity = config.BufferCapacity,
            AckWait = config.AckWait,
            SuppressionWindow = config.SuppressionWindow,
            StateDir = Path.Combine(config.DataDir, "engine", "state"),
            StateFsyncInterval = config.StateFsyncInterval,
            StateSnapshotInterval = config.StateSnapshotInterval,
            Log = context.Log,
            ForwardFilter = new Siem.Lineage.Purge.ForwardFilter(config.DataDir, Siem.Lineage.Subjects.SubjectPseudonymizer.Open(config.DataDir)),
        })
        {
            // Lineage is reported when the lineage role runs in this process or engine.report_lineage is on.
            Lineage = reportedLineage is { } lineage ? lineage with { Index = IndexName(config) } : null,
            CorrelationOutbox = router,
        };
        // Partition workers publish their correlation alerts to siem.alerts.* too: the durable delivery takes them from there.
        await using var lag = new ConsumerLagProbe(context.JetStream, EngineStreams.Events, config.Durable, log: Info);
        using var metrics = new EngineMetrics(pipeline.Stats, delivery, lag);
        lag.Start();

        Info($"consuming {EngineStreams.Events} as durable '{config.Durable}' (batch {config.BatchSize}), index {index.GetType().Name}");
        // Purges run elsewhere reach this engine's open windows and alerts (and its partitions) as ids to forget.
        // Each notice part is confirmed (SIEM_CONTROL_ACKS) once the pipeline and every running partition saved their state without the subject.
        live.EngineId = $"{config.Instance}-{Environment.ProcessId}";
        live.Forget = forget => Task.WhenAll(pipeline.ForgetAsync(forget), partitions?.ForgetAsync(forget, cancellationToken) ?? Task.CompletedTask);
        var announcedRevocations = new HashSet<string>(StringComparer.Ordinal);
        var watching = Task.Run(() => live.RunAsync(rulesAt, rules.Refresh, id => ApplyRevocation(registry, id, announcedRevocations, Info), cancellationToken), CancellationToken.None);
        var watchingKeys = Task.Run(() => liveKeys.RunAsync(KeyCheckInterval, cancellationToken), CancellationToken.None);
        var distributingKeys = Task.Run(() => keyDistribution.WatchAsync(cancellationToken), CancellationToken.None);
        await pipeline.RunAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(watching, watchingKeys, distributingKeys).ConfigureAwait(false);
        var s = pipeline.Stats;
        Info($"stopped: {s.EventsIndexed} events indexed, {s.MessagesAcked} messages acked, {s.Quarantined} quarantined, {s.AlertsRaised} alerts");
        if (delivery != null)
        {
            // Undelivered alerts stay in the alerts stream for the next start (or another engine); nothing to drain.
            Info($"alert deliveries: {delivery.Dispatcher.Delivered} delivered, {delivery.Dispatcher.DeadLettered} dead-lettered, {delivery.UpdatesPaced} updates paced");
        }
        if (index is ElasticsearchIndexSink es) await es.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
    }
}
