using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Faults;

/// <summary>Elasticsearch answers 429 to everything for a while: the data must wait in JetStream, not in the engine's memory.</summary>
public sealed class ElasticsearchStormTests(ITestOutputHelper output)
{
    [Fact]
    public async Task A_429_storm_keeps_messages_in_JetStream_with_a_bounded_engine_buffer_and_everything_is_indexed_once_after()
    {
        using var peer = new StormingElasticsearchPeer { Storming = true };
        var sink = new ElasticsearchIndexSink(new ElasticsearchOptions { Url = peer.Url, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(200) });
        await using var server = await NatsServer.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(90), sink);
        string[] urls = [server.Url];
        await ResilienceKit.CreateStreamsAsync(urls, replicas: 1, kit.Deadline);
        // A small engine: 8 messages per group, 16 buffered. With the group stuck in the sink's retries, the engine
        // holds at most one group, a full buffer, the message the pull waits to hand over and one pull's worth
        // delivered to the subscription: 8 + 16 + 1 + 8 < 16 + 3 * 8.
        var options = ResilienceKit.EngineOptions with { BatchSize = 8, BufferCapacity = 16 };
        int bound = options.BufferCapacity + 3 * options.BatchSize;
        var agent = kit.StartAgent("web-01", urls, maxRecords: 10);
        var engine = await kit.StartEngineAsync("engine-a", urls, options);
        agent.AppendLines(3000);
        await kit.WaitUntilAsync(agent.CaughtUp, "the agent to publish all 3000 lines (300 batches) into JetStream");

        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = urls });
        await connection.ConnectAsync(kit.Deadline);
        var js = new NatsJSContext(connection);
        // Let the storm go on: refusals keep coming, the engine keeps retrying the same group.
        long refusedBefore = peer.Refused;
        await kit.WaitUntilAsync(() => peer.Refused > refusedBefore + 50, "50 more refusals");
        var info = await js.GetConsumerInfoAsync(EngineStreams.Events, options.Durable, kit.Deadline);
        long held = engine.Pipeline.Stats.MessagesReceived;
        output.WriteLine($"storm: {peer.Refused} refusals, engine received {held} messages (bound {bound}), consumer pending {info.NumPending} + ack pending {info.NumAckPending}");
        Assert.Empty(peer.Documents);
        Assert.Equal(0, engine.Pipeline.Stats.MessagesAcked);
        Assert.InRange(held, 1, bound);
        Assert.True(info.NumAckPending <= bound, $"{info.NumAckPending} messages delivered and unacked, bound {bound}");
        Assert.Equal(300, (long)info.NumPending + info.NumAckPending);

        peer.Storming = false;
        await kit.WaitUntilAsync(() => peer.Documents.Count >= 3000, "all 3000 documents after the storm");
        await kit.WaitUntilAsync(() => engine.Pipeline.Stats.MessagesAcked >= 300, "the engine to ack all 300 messages");
        Assert.Equal(3000, peer.Documents.Count);
        Assert.Equal(agent.ExpectedLines().Order(StringComparer.Ordinal), peer.Documents.Values.Order(StringComparer.Ordinal));
    }
}
