using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Pipeline;
using Siem.Engine.ScaleOut;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Resilience.Tests.Faults;
using Siem.Testing;

namespace Siem.Resilience.Tests.ScaleOut;

/// <summary>
/// Issue #8.2 on a real 3-node cluster: two `siem serve` engine processes with <c>scale_out:</c> share the durable
/// consumer (which engine gets which batch is up to JetStream) and split 8 correlation partitions; SIEM_CORR is R3.
/// The engine owning the brute-force window and the SIEM_CORR stream leader are both killed with SIGKILL mid-window.
/// </summary>
public sealed class PartitionedCorrelationClusterTests
{
    private const string BruteForce = "81e7a567-a87a-4a69-8c3a-cd004cd81081";
    private const int Partitions = 8;
    private const string Tenant = "acme";

    [Fact]
    public async Task Kill_9_of_the_window_owner_and_of_the_corr_stream_leader_mid_window_still_raises_one_threshold_alert_with_all_ten()
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var ct = deadline.Token;
        await using var cluster = await NatsCluster.StartAsync(extraConfig: $"mappings = {{ {CorrelationSubjects.ServerMapping(Partitions)} }}", cancellationToken: ct);
        await ResilienceKit.CreateStreamsAsync(cluster.Urls, replicas: 3, ct);
        var dir = Directory.CreateTempSubdirectory("siem-scaleout-cluster-").FullName;
        var key = EngineKeyPair.Create();
        var agent = AgentIdentity.Create("web-01");
        string scaleOut(string id) => $"""
            scale_out:
              partitions: {Partitions}
              engine_id: {id}
              snapshot_interval_ms: 200
              heartbeat_ms: 200
              lease_ms: 1500
            """;
        var engines = new[] { "engine-a", "engine-b" }.Select(id =>
        {
            var serve = ServeProcess.Create(Path.Combine(dir, id, "data"), cluster.Urls, key, includePack: true, extraYaml: scaleOut(id), replicas: 3);
            new AgentRegistry(serve.RegistryPath).Register(agent.AgentId, agent.SigningPublicKey, Tenant);
            return (Id: id, Serve: serve);
        }).ToArray();
        try
        {
            foreach (var e in engines) e.Serve.Start();
            await using var nats = new NatsConnection(NatsOpts.Default with { Servers = cluster.Urls, Name = "scaleout-test" });
            await nats.ConnectAsync(ct);
            var js = new NatsJSContext(nats);
            await WaitUntilAsync(async () => await MembersAsync(js, ct) == 2, "both engines joined", cluster, engines, ct);

            var sealer = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId);
            var start = Instant.FromUtc(2026, 11, 22, 10, 0);
            ulong batch = 0;
            Exception? lastPublishError = null;
            async Task ShipAsync(int from, int count)
            {
                for (int i = from; i < from + count; i++) // one batch per failure, so both engines get some
                {
                    var env = sealer.Seal(++batch, LogEventJson.EncodeBatch([Failure(agent.AgentId, start, i)]));
                    var headers = new NatsHeaders();
                    foreach (var (k, v) in env.Headers) headers.Add(k, v);
                    while (true)
                    {
                        try
                        {
                            // As an agent does: retried until acked (the envelope's Nats-Msg-Id makes a retry a duplicate the stream drops).
                            await js.PublishAsync($"siem.events.{Tenant}.{agent.AgentId}", env.Body, headers, cancellationToken: ct);
                            break;
                        }
                        catch (NatsException ex) when (!ct.IsCancellationRequested)
                        {
                            lastPublishError = ex;
                            await Task.Delay(200, CancellationToken.None); // a node was just killed; the stream is electing a leader
                        }
                        catch (OperationCanceledException) when (ct.IsCancellationRequested)
                        {
                            throw new TimeoutException($"publishing failure {i} never succeeded; last error: {lastPublishError}\n--- nats-server JetStream log:\n{cluster.JetStreamLog()}");
                        }
                    }
                }
            }

            // Every engine ensures its streams at start: none may re-place the operator's R3 streams. (They did: an update
            // with num_replicas 1 made SIEM_EVENTS R1, and killing its one node below left it without a leader.)
            string[] replicated = [EngineStreams.Events, EngineStreams.Alerts, EngineStreams.Quarantine, CorrelationSubjects.Stream,
                "KV_" + PartitionMembershipOptions.Default.Bucket, "KV_" + ScaleOutOptions.Default.StateBucket, "KV_" + Siem.Engine.Control.LiveChanges.Bucket];
            foreach (var stream in replicated)
                Assert.Equal((stream, 3), (stream, (await js.GetStreamAsync(stream, ct)).Config.Replicas));
            await ShipAsync(0, 6);
            await WaitUntilAsync(async () => (await js.GetStreamAsync(CorrelationSubjects.Stream, ct)).State.Messages >= 6, "six matches in SIEM_CORR", cluster, engines, ct);

            // Whoever owns the window's partition (rendezvous hashing over both members) dies, with the stream's leader node.
            int partition = CorrelationSubjects.PartitionOf(CorrelationSubjects.Token(Siem.Rules.Correlation.CorrelationEngine.GroupKeyOf(BruteForce, ["203.0.113.5"])), Partitions);
            var owner = engines.Single(e => PartitionMembership.Assign(e.Id, engines.Select(x => x.Id), Partitions).Contains(partition));
            await Task.Delay(600, ct); // a periodic save of the partition may or may not have happened: both are correct
            owner.Serve.Kill();
            int leader = await cluster.StreamLeaderAsync(CorrelationSubjects.Stream, ct);
            Assert.True(leader >= 0, "no node named a leader for SIEM_CORR");
            cluster.Kill(leader);

            await ShipAsync(6, 4);
            await WaitUntilAsync(async () => (await AlertCountsAsync(js, ct)).Values.Any(c => c >= 10), "the brute-force alert with ten failures", cluster, engines, ct, owner.Id);
            // The dead engine's unacked batches come back to the survivor after ack_wait (5 s): let them, then look again.
            await WaitUntilAsync(async () => (await js.GetConsumerInfoAsync(EngineStreams.Events, "siem-engine", ct)) is { NumPending: 0, NumAckPending: 0 },
                "every event batch acked", cluster, engines, ct, owner.Id);

            Dictionary<string, long> alerts = [];
            await WaitUntilAsync(async () => { alerts = await AlertCountsAsync(js, ct); return true; }, "reading the alerts", cluster, engines, ct, owner.Id);
            var alert = Assert.Single(alerts); // one alert id, however often its state was published
            Assert.Equal(10, alert.Value);
        }
        finally
        {
            foreach (var e in engines) e.Serve.Dispose();
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static LogEvent Failure(string agentId, Instant start, int i)
    {
        var e = new LogEvent
        {
            RecordId = $"fail{i:D2}",
            AgentId = agentId,
            Timestamp = start + Duration.FromSeconds(10 * i),
            Original = $"web-01 sshd[4242]: Failed password for root from 203.0.113.5 port {40000 + i} ssh2",
        };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.ProcessName, "sshd");
        e.Set(EcsFields.EventAction, "ssh_login");
        e.Set(EcsFields.EventOutcome, "failure");
        e.Set(EcsFields.SourceIp, "203.0.113.5");
        e.Set(EcsFields.UserName, "root");
        return e;
    }

    private static async Task<int> MembersAsync(NatsJSContext js, CancellationToken ct)
    {
        try
        {
            var kv = await js.GetKeyValueAsync(PartitionMembershipOptions.Default.Bucket, ct);
            return (await kv.GetAsync("engine-a", ct) != null ? 1 : 0) + (await kv.GetAsync("engine-b", ct) != null ? 1 : 0);
        }
        catch (NatsJSApiException)
        {
            return 0; // the bucket does not exist before the first engine started
        }
    }

    /// <summary>Brute-force alerts published on SIEM_ALERTS: alert id → the highest count published for it.</summary>
    private static async Task<Dictionary<string, long>> AlertCountsAsync(NatsJSContext js, CancellationToken ct)
    {
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var consumer = await js.CreateOrUpdateConsumerAsync(EngineStreams.Alerts, new ConsumerConfig { AckPolicy = AckPolicy.Explicit, InactiveThreshold = TimeSpan.FromSeconds(10) }, ct);
        await foreach (var msg in consumer.FetchAsync(1000, TimeSpan.FromSeconds(1), cancellationToken: ct))
        {
            if (msg.Headers?["Siem-Rule-Id"] != BruteForce) continue;
            var alert = Siem.Engine.Alerts.AlertJson.Deserialize(msg.Data.Span);
            counts[alert.AlertId] = Math.Max(counts.GetValueOrDefault(alert.AlertId), alert.Count);
        }
        await js.DeleteConsumerAsync(EngineStreams.Alerts, consumer.Name, ct);
        return counts;
    }

    /// <summary>Polls; an engine that died on its own (not one this test killed) fails at once; the deadline fails with every engine's output.</summary>
    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, NatsCluster cluster, (string Id, ServeProcess Serve)[] watched, CancellationToken ct, string? killed = null)
    {
        while (true)
        {
            try
            {
                if (await condition()) return;
            }
            catch (NatsException) when (!ct.IsCancellationRequested)
            {
                // a node was just killed: ask again
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
            }
            foreach (var (id, serve) in watched)
            {
                if (serve.Died && id != killed) throw new InvalidOperationException($"{id} exited on its own:\n{serve.Output}\n--- nats-server JetStream log:\n{cluster.JetStreamLog()}");
            }
            if (ct.IsCancellationRequested)
                throw new TimeoutException($"timed out waiting for: {what}\n{string.Join("\n", watched.Select(w => $"--- {w.Id}:\n{w.Serve.Output}"))}\n--- nats-server JetStream log:\n{cluster.JetStreamLog()}");
            await Task.Delay(100, CancellationToken.None);
        }
    }
}
