using System.Text;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class PubSubTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    private async Task<NatsConnection> ConnectAsync()
    {
        var c = new NatsConnection(NatsOpts.Default with { Servers = [fixture.Url] });
        await c.ConnectAsync(Timeout());
        return c;
    }

    [Fact]
    public async Task Connect_reports_open_state_and_server_info()
    {
        await using var c = await ConnectAsync();
        Assert.Equal(NatsConnectionState.Open, c.ConnectionState);
        Assert.NotNull(c.ServerInfo);
        Assert.True(c.ServerInfo!.Headers);
        Assert.True(c.ServerInfo.JetStream);
        Assert.Equal("2.9.10", c.ServerInfo.Version);
        Assert.Equal(1024 * 1024, c.ServerInfo.MaxPayload);
    }

    [Fact]
    public async Task Published_messages_arrive_in_order_with_subject_reply_and_data()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        await using var sub = await c.SubscribeAsync("pubsub.order.*", cancellationToken: ct);
        await c.PingAsync(ct);
        for (int i = 0; i < 1000; i++)
            await c.PublishAsync($"pubsub.order.{i % 3}", Encoding.UTF8.GetBytes($"msg-{i}"), replyTo: i == 7 ? "the.reply" : null, cancellationToken: ct);
        for (int i = 0; i < 1000; i++)
        {
            var msg = await sub.Msgs.ReadAsync(ct);
            Assert.Equal($"pubsub.order.{i % 3}", msg.Subject);
            Assert.Equal($"msg-{i}", Encoding.UTF8.GetString(msg.Data.Span));
            Assert.Equal(i == 7 ? "the.reply" : null, msg.ReplyTo);
            Assert.Null(msg.Headers);
        }
    }

    [Fact]
    public async Task Concurrent_publishers_on_one_connection_keep_frames_intact_and_per_publisher_order()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        await using var sub = await c.SubscribeAsync("pubsub.conc.*", cancellationToken: ct);
        await c.PingAsync(ct);
        const int publishers = 8, each = 5000;
        var tasks = Enumerable.Range(0, publishers).Select(p => Task.Run(async () =>
        {
            var headers = new NatsHeaders { ["P"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture) };
            for (int i = 0; i < each; i++)
                await c.PublishAsync($"pubsub.conc.{p}", BitConverter.GetBytes(i), i % 2 == 0 ? headers : null, cancellationToken: ct);
        }, ct)).ToList();
        await Task.WhenAll(tasks);
        var next = new int[publishers];
        for (int n = 0; n < publishers * each; n++)
        {
            var m = await sub.Msgs.ReadAsync(ct);
            int p = m.Subject[^1] - '0';
            int i = BitConverter.ToInt32(m.Data.Span);
            Assert.Equal(next[p]++, i);
            Assert.Equal(i % 2 == 0 ? p.ToString(System.Globalization.CultureInfo.InvariantCulture) : null, m.Headers?["P"]);
        }
        Assert.All(next, n => Assert.Equal(each, n));
    }

    [Fact]
    public async Task Headers_round_trip_with_multiple_values_and_empty_payload()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        await using var sub = await c.SubscribeAsync("pubsub.headers", cancellationToken: ct);
        await c.PingAsync(ct);
        var headers = new NatsHeaders { ["Nats-Msg-Id"] = "agent-1:42" };
        headers.Add("X-Tag", "a");
        headers.Add("X-Tag", "b c");
        await c.PublishAsync("pubsub.headers", Encoding.UTF8.GetBytes("body"), headers, cancellationToken: ct);
        await c.PublishAsync("pubsub.headers", ReadOnlyMemory<byte>.Empty, new NatsHeaders { ["Only"] = "header" }, cancellationToken: ct);

        var m1 = await sub.Msgs.ReadAsync(ct);
        Assert.Equal("body", Encoding.UTF8.GetString(m1.Data.Span));
        Assert.Equal("agent-1:42", m1.Headers!["nats-msg-id"]);
        Assert.True(m1.Headers.TryGetValues("X-Tag", out var tags));
        Assert.Equal(["a", "b c"], tags);
        Assert.Equal(0, m1.Headers.Code);
        var m2 = await sub.Msgs.ReadAsync(ct);
        Assert.True(m2.Data.IsEmpty);
        Assert.Equal("header", m2.Headers!["Only"]);
    }

    [Fact]
    public async Task Queue_group_delivers_each_message_to_exactly_one_member()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        await using var a = await c.SubscribeAsync("pubsub.queue", "workers", ct);
        await using var b = await c.SubscribeAsync("pubsub.queue", "workers", ct);
        await c.PingAsync(ct);
        const int n = 200;
        for (int i = 0; i < n; i++) await c.PublishAsync("pubsub.queue", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken: ct);
        await c.PingAsync(ct);
        var seen = new List<int>();
        int fromA = 0, fromB = 0;
        while (a.Msgs.TryRead(out var m)) { seen.Add(int.Parse(Encoding.UTF8.GetString(m.Data.Span), System.Globalization.CultureInfo.InvariantCulture)); fromA++; }
        while (b.Msgs.TryRead(out var m)) { seen.Add(int.Parse(Encoding.UTF8.GetString(m.Data.Span), System.Globalization.CultureInfo.InvariantCulture)); fromB++; }
        seen.Sort();
        Assert.Equal(Enumerable.Range(0, n), seen);
        Assert.True(fromA > 0 && fromB > 0, $"both members should get some messages (a={fromA}, b={fromB})");
    }

    [Fact]
    public async Task Unsubscribe_with_max_completes_after_exactly_that_many_messages()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        var sub = await c.SubscribeAsync("pubsub.max", cancellationToken: ct);
        await sub.UnsubscribeAsync(3);
        await c.PingAsync(ct);
        for (int i = 0; i < 10; i++) await c.PublishAsync("pubsub.max", new byte[] { (byte)i }, cancellationToken: ct);
        var got = new List<byte>();
        await foreach (var m in sub.ReadAllAsync(ct)) got.Add(m.Data.Span[0]);
        Assert.Equal([0, 1, 2], got);
    }

    [Fact]
    public async Task Unsubscribe_stops_delivery_and_completes_the_channel()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        var sub = await c.SubscribeAsync("pubsub.unsub", cancellationToken: ct);
        await c.PublishAsync("pubsub.unsub", new byte[] { 1 }, cancellationToken: ct);
        await c.PingAsync(ct);
        await sub.UnsubscribeAsync();
        await c.PublishAsync("pubsub.unsub", new byte[] { 2 }, cancellationToken: ct);
        await c.PingAsync(ct);
        var got = new List<byte>();
        await foreach (var m in sub.ReadAllAsync(ct)) got.Add(m.Data.Span[0]);
        Assert.Equal([1], got);
    }

    [Fact]
    public async Task Publish_larger_than_max_payload_throws_before_sending_and_names_the_sizes()
    {
        await using var server = await NatsServer.StartAsync("max_payload: 1024", jetStream: false);
        await using var c = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await c.ConnectAsync(Timeout());
        var headers = new NatsHeaders { ["K"] = "v" };
        var e = await Assert.ThrowsAsync<NatsPayloadTooLargeException>(async () => await c.PublishAsync("big", new byte[1010], headers));
        Assert.Equal(1024, e.MaxPayload);
        Assert.Equal(1010 + headers.GetByteCount(), e.Size);
        Assert.Contains("max_payload is 1024 bytes", e.Message, StringComparison.Ordinal);
        await c.PublishAsync("big", new byte[1024]); // exactly the limit is fine
        await c.PingAsync(Timeout());
        Assert.Equal(NatsConnectionState.Open, c.ConnectionState);
    }
}
