using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class SlowConsumerTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task A_slow_subscriber_gets_all_100k_messages_in_order_with_the_buffer_bounded_by_capacity()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;
        const int capacity = 64;
        const int total = 100_000;
        // Fast keepalive: a subscriber that does not read must not be mistaken for a dead connection.
        await using var consumer = new NatsConnection(NatsOpts.Default with
        {
            Servers = [fixture.Url],
            SubscriptionCapacity = capacity,
            PingInterval = TimeSpan.FromMilliseconds(200),
            MaxPingsOut = 2,
        });
        await using var producer = new NatsConnection(NatsOpts.Default with { Servers = [fixture.Url] });
        var errors = new List<NatsException>();
        consumer.Error += (_, e) => { lock (errors) errors.Add(e); };
        await consumer.ConnectAsync(ct);
        await producer.ConnectAsync(ct);
        var sub = await consumer.SubscribeAsync("slow.x", cancellationToken: ct);
        await consumer.PingAsync(ct);

        var publish = Task.Run(async () =>
        {
            var payload = new byte[64];
            for (int i = 0; i < total; i++)
            {
                BitConverter.TryWriteBytes(payload, i);
                await producer.PublishAsync("slow.x", payload, cancellationToken: ct);
            }
            await producer.PingAsync(ct);
        }, ct);

        // Not reading at all: the channel fills to its capacity and stays there (the read loop waits, nothing piles up).
        while (sub.Msgs.Count < capacity) await Task.Delay(5, ct);
        await Task.Delay(1000, ct); // several keepalive intervals: PONGs are stuck behind the parked message
        Assert.Equal(capacity, sub.Msgs.Count);

        int maxBuffered = 0;
        for (int i = 0; i < total; i++)
        {
            maxBuffered = Math.Max(maxBuffered, sub.Msgs.Count);
            var m = await sub.Msgs.ReadAsync(ct);
            Assert.True(i == BitConverter.ToInt32(m.Data.Span), $"expected message {i}, got {BitConverter.ToInt32(m.Data.Span)}; {consumer.Stats}");
            if (i % 5000 == 0) await Task.Delay(20, ct); // slow: the channel fills and the read loop must wait
        }
        await publish;
        Assert.Equal(capacity, maxBuffered);
        Assert.Empty(errors.Select(e => e.Message));
        Assert.Equal(0, consumer.Stats.Disconnects);
        Assert.Equal(NatsConnectionState.Open, consumer.ConnectionState);
    }
}
