using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class ConsumerTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    private async Task<(NatsConnection Nc, NatsJSContext Js, string Stream)> ArrangeAsync(int messages, CancellationToken ct, RetentionPolicy retention = RetentionPolicy.Limits)
    {
        var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var stream = Name("CONS");
        await js.CreateStreamAsync(new StreamConfig(stream, $"{stream}.>") { Retention = retention }, ct);
        for (int i = 1; i <= messages; i++) await js.PublishAsync($"{stream}.e", Bytes($"m{i}"), cancellationToken: ct);
        return (nc, js, stream);
    }

    [Fact]
    public async Task Durable_consumer_create_info_and_delete_round_trip_its_config()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(3, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("worker")
        {
            AckPolicy = AckPolicy.Explicit,
            AckWait = TimeSpan.FromSeconds(10),
            MaxDeliver = 5,
            MaxAckPending = 100,
            FilterSubject = $"{stream}.e",
        }, ct);

        Assert.Equal(stream, consumer.Stream);
        Assert.Equal("worker", consumer.Name);
        var info = await js.GetConsumerInfoAsync(stream, "worker", ct);
        Assert.Equal("worker", info.Config.DurableName);
        Assert.Equal(AckPolicy.Explicit, info.Config.AckPolicy);
        Assert.Equal(TimeSpan.FromSeconds(10), info.Config.AckWait);
        Assert.Equal(5, info.Config.MaxDeliver);
        Assert.Equal(100, info.Config.MaxAckPending);
        Assert.Equal($"{stream}.e", info.Config.FilterSubject);
        Assert.Equal(3UL, info.NumPending);

        Assert.True(await js.DeleteConsumerAsync(stream, "worker", ct));
        Assert.False(await js.DeleteConsumerAsync(stream, "worker", ct));
        var e = await Assert.ThrowsAsync<NatsJSApiException>(() => js.GetConsumerAsync(stream, "worker", ct));
        Assert.Equal(10014, e.ErrCode);
    }

    [Fact]
    public async Task Fetch_returns_one_batch_in_stream_order_with_delivery_metadata()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(10, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("fetcher"), ct);

        var batch = await FetchAllAsync(consumer, 4, TimeSpan.FromSeconds(5), ct);

        Assert.Equal(new[] { "m1", "m2", "m3", "m4" }, batch.Select(m => Text(m.Data)));
        for (int i = 0; i < 4; i++)
        {
            var meta = batch[i].Metadata;
            Assert.Equal(stream, meta.Stream);
            Assert.Equal("fetcher", meta.Consumer);
            Assert.Equal((ulong)(i + 1), meta.StreamSeq);
            Assert.Equal((ulong)(i + 1), meta.ConsumerSeq);
            Assert.Equal(1UL, meta.NumDelivered);
            Assert.Equal((ulong)(10 - i - 1), meta.NumPending);
            Assert.Equal($"{stream}.e", batch[i].Subject);
        }
    }

    [Fact]
    public async Task Fetch_on_an_empty_consumer_ends_at_expiry_while_heartbeats_keep_it_alive()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(0, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("idle"), ct);
        var got = new List<NatsJSMsg>();
        await foreach (var m in consumer.FetchAsync(10, TimeSpan.FromSeconds(4), TimeSpan.FromSeconds(1), ct)) got.Add(m);
        Assert.Empty(got);
    }

    [Fact]
    public async Task Ack_sync_is_confirmed_so_the_ack_is_visible_immediately()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(2, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("acker"), ct);
        var batch = await FetchAllAsync(consumer, 2, TimeSpan.FromSeconds(5), ct);
        await batch[0].InProgressAsync(ct);
        await batch[0].AckSyncAsync(ct);
        var info = await consumer.RefreshAsync(ct);
        Assert.Equal(1, info.NumAckPending);
        Assert.Equal(1UL, info.AckFloor.StreamSeq);
        await batch[1].AckSyncAsync(ct);
        info = await consumer.RefreshAsync(ct);
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(2UL, info.AckFloor.StreamSeq);
        Assert.Equal(0, info.NumRedelivered);
    }

    [Fact]
    public async Task Ack_policy_all_acknowledges_every_earlier_message_with_the_last_ack()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(5, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("all") { AckPolicy = AckPolicy.All }, ct);
        var batch = await FetchAllAsync(consumer, 5, TimeSpan.FromSeconds(5), ct);
        Assert.Equal(5, batch.Count);
        Assert.Equal(5, (await consumer.RefreshAsync(ct)).NumAckPending);

        await batch[4].AckSyncAsync(ct);

        var info = await consumer.RefreshAsync(ct);
        Assert.Equal(AckPolicy.All, info.Config.AckPolicy);
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(5UL, info.AckFloor.StreamSeq);
    }

    [Fact]
    public async Task Work_queue_retention_removes_a_message_once_it_is_acked()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(5, ct, RetentionPolicy.WorkQueue);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("wq"), ct);
        var batch = await FetchAllAsync(consumer, 3, TimeSpan.FromSeconds(5), ct);
        foreach (var m in batch) await m.AckSyncAsync(ct);

        var state = (await js.GetStreamAsync(stream, ct)).State;
        Assert.Equal(2UL, state.Messages);
        Assert.Equal(4UL, state.FirstSeq);
    }

    [Fact]
    public async Task Nak_with_delay_redelivers_the_same_message_after_the_delay()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(1, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("nak") { AckWait = TimeSpan.FromSeconds(30) }, ct);
        var first = Assert.Single(await FetchAllAsync(consumer, 1, TimeSpan.FromSeconds(5), ct));
        await first.NakAsync(TimeSpan.FromSeconds(2), ct);

        // Inside the delay nothing is redelivered...
        Assert.Empty(await FetchAllAsync(consumer, 1, TimeSpan.FromMilliseconds(500), ct));
        // ...after it, the same message comes again as its second delivery.
        var again = Assert.Single(await FetchAllAsync(consumer, 1, TimeSpan.FromSeconds(5), ct));
        Assert.Equal(1UL, again.Metadata.StreamSeq);
        Assert.Equal(2UL, again.Metadata.NumDelivered);
        Assert.Equal("m1", Text(again.Data));
        await again.AckSyncAsync(ct);
    }

    [Fact]
    public async Task Term_stops_redelivery_for_good()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(1, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("term") { AckWait = TimeSpan.FromMilliseconds(500) }, ct);
        var first = Assert.Single(await FetchAllAsync(consumer, 1, TimeSpan.FromSeconds(5), ct));
        await first.TermAsync(ct);
        await nc.PingAsync(ct);

        // Well past the ack wait: a non-termed message would have come back.
        Assert.Empty(await FetchAllAsync(consumer, 1, TimeSpan.FromSeconds(2), ct));
        var info = await consumer.RefreshAsync(ct);
        Assert.Equal(0, info.NumAckPending);
        Assert.Equal(0, info.NumRedelivered);
    }

    [Fact]
    public async Task Max_deliver_caps_redeliveries_of_a_message_that_is_always_nakked()
    {
        var ct = Timeout();
        var (nc, js, stream) = await ArrangeAsync(1, ct);
        await using var _ = nc;
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("maxdel") { MaxDeliver = 3 }, ct);
        var deliveries = new List<ulong>();
        while (true)
        {
            var batch = await FetchAllAsync(consumer, 1, TimeSpan.FromSeconds(1), ct);
            if (batch.Count == 0) break;
            deliveries.Add(batch[0].Metadata.NumDelivered);
            await batch[0].NakAsync(cancellationToken: ct);
        }
        Assert.Equal(new ulong[] { 1, 2, 3 }, deliveries);
    }
}
