using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class ConsumerConsumeTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Consume_refills_pulls_and_delivers_every_message_in_order_including_later_ones()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var stream = Name("CONSUME");
        await js.CreateStreamAsync(new StreamConfig(stream, $"{stream}.>"), ct);
        await using (var publisher = js.CreatePublisher(256))
        {
            for (int i = 1; i <= 1200; i++) _ = await publisher.PublishAsync($"{stream}.e", Bytes($"m{i}"), cancellationToken: ct);
            await publisher.WaitForPendingAsync(ct);
        }
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("loop"), ct);

        var seqs = new List<ulong>();
        await foreach (var m in consumer.ConsumeAsync(batchSize: 100, expires: TimeSpan.FromSeconds(5), cancellationToken: ct))
        {
            seqs.Add(m.Metadata.StreamSeq);
            Assert.Equal($"m{seqs.Count}", Text(m.Data));
            await m.AckAsync(ct);
            // Messages published while consuming arrive on the same loop.
            if (seqs.Count == 1200)
                for (int i = 1201; i <= 1250; i++) await js.PublishAsync($"{stream}.e", Bytes($"m{i}"), cancellationToken: ct);
            if (seqs.Count == 1250) break;
        }

        Assert.Equal(Enumerable.Range(1, 1250).Select(i => (ulong)i), seqs);
        await nc.PingAsync(ct);
        var info = await consumer.RefreshAsync(ct);
        Assert.Equal(1250UL, info.AckFloor.StreamSeq);
        Assert.Equal(0UL, info.NumPending);
    }

    [Fact]
    public async Task Consume_pulls_again_after_the_server_was_killed_and_restarted()
    {
        var ct = Timeout(20);
        await using var server = await NatsServer.StartAsync();
        await using var nc = await ConnectAsync(server.Url, ct);
        var js = new NatsJSContext(nc);
        await js.CreateStreamAsync(new StreamConfig("RESTART", "restart.>"), ct);
        for (int i = 1; i <= 3; i++) await js.PublishAsync("restart.e", Bytes($"m{i}"), cancellationToken: ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("RESTART", new ConsumerConfig("survivor"), ct);

        var got = new List<string>();
        await foreach (var m in consumer.ConsumeAsync(batchSize: 10, expires: TimeSpan.FromSeconds(2), cancellationToken: ct))
        {
            got.Add(Text(m.Data));
            await m.AckSyncAsync(ct);
            if (got.Count == 3)
            {
                var reconnected = ReconnectedAsync(nc, ct);
                await server.RestartAsync(); // kill -9, same store
                await reconnected;
                for (int i = 4; i <= 5; i++) await js.PublishAsync("restart.e", Bytes($"m{i}"), cancellationToken: ct);
            }
            if (got.Count == 5) break;
        }

        Assert.Equal(new[] { "m1", "m2", "m3", "m4", "m5" }, got);
    }

    [Fact]
    public async Task Consume_refuses_a_batch_larger_than_the_subscription_capacity()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var stream = Name("BIGBATCH");
        await js.CreateStreamAsync(new StreamConfig(stream, $"{stream}.>"), ct);
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("big"), ct);
        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(async () =>
        {
            await foreach (var _ in consumer.ConsumeAsync(batchSize: nc.Opts.SubscriptionCapacity + 1, cancellationToken: ct)) { }
        });
        Assert.Contains("SubscriptionCapacity", e.Message, StringComparison.Ordinal);
    }

    /// <summary>Completes once the connection has left Open and come back to it.</summary>
    internal static async Task ReconnectedAsync(NatsConnection nc, CancellationToken ct)
    {
        var left = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var back = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnState(object? sender, NatsConnectionState state)
        {
            if (state != NatsConnectionState.Open) left.TrySetResult();
            else if (left.Task.IsCompleted) back.TrySetResult();
        }
        nc.ConnectionStateChanged += OnState;
        try
        {
            await back.Task.WaitAsync(ct);
            await nc.PingAsync(ct);
        }
        finally
        {
            nc.ConnectionStateChanged -= OnState;
        }
    }
}
