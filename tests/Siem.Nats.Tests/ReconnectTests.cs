using System.Text;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class ReconnectTests
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static NatsOpts FastReconnect(string url) => NatsOpts.Default with
    {
        Servers = [url],
        ReconnectWaitMin = TimeSpan.FromMilliseconds(20),
        ReconnectWaitMax = TimeSpan.FromMilliseconds(200),
        ConnectTimeout = TimeSpan.FromSeconds(2),
    };

    private static async Task WaitForStateAsync(NatsConnection c, NatsConnectionState state, CancellationToken ct)
    {
        while (c.ConnectionState != state) await Task.Delay(10, ct);
    }

    [Fact]
    public async Task After_kill_9_and_restart_the_client_resubscribes_and_publishes_buffered_during_the_outage_arrive()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(jetStream: false);
        await using var c = new NatsConnection(FastReconnect(server.Url));
        var states = new List<NatsConnectionState>();
        c.ConnectionStateChanged += (_, s) => { lock (states) states.Add(s); };
        await c.ConnectAsync(ct);
        var sub = await c.SubscribeAsync("rc.>", cancellationToken: ct);
        await c.PublishAsync("rc.before", "0"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("rc.before", (await sub.Msgs.ReadAsync(ct)).Subject);

        server.Kill();
        await WaitForStateAsync(c, NatsConnectionState.Reconnecting, ct);
        for (int i = 0; i < 500; i++) await c.PublishAsync("rc.during", Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)), cancellationToken: ct);
        await server.RestartAsync();
        await WaitForStateAsync(c, NatsConnectionState.Open, ct);

        for (int i = 0; i < 500; i++)
        {
            var m = await sub.Msgs.ReadAsync(ct);
            Assert.Equal("rc.during", m.Subject);
            Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), Encoding.UTF8.GetString(m.Data.Span));
        }
        await c.PublishAsync("rc.after", "x"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("rc.after", (await sub.Msgs.ReadAsync(ct)).Subject);
        lock (states) Assert.Equal([NatsConnectionState.Reconnecting, NatsConnectionState.Open], states.Skip(2).Take(2));
        Assert.Equal((1, 1), (c.Stats.Disconnects, c.Stats.Reconnects));
        Assert.Equal(502, c.Stats.OutMsgs);
        Assert.Equal(502, c.Stats.InMsgs);
    }

    [Fact]
    public async Task After_MaxReconnectAttempts_the_connection_closes_for_good_and_says_why()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(jetStream: false);
        await using var c = new NatsConnection(FastReconnect(server.Url) with { MaxReconnectAttempts = 2 });
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var errors = new List<NatsException>();
        c.Error += (_, e) => { lock (errors) errors.Add(e); };
        c.ConnectionStateChanged += (_, s) => { if (s == NatsConnectionState.Closed) closed.TrySetResult(); };
        await c.ConnectAsync(ct);
        var sub = await c.SubscribeAsync("gone", cancellationToken: ct);
        server.Kill();
        await closed.Task.WaitAsync(ct);
        var e = await Assert.ThrowsAsync<NatsConnectionException>(async () => await c.PublishAsync("gone", new byte[1], cancellationToken: ct));
        Assert.Contains("gave up reconnecting after 2 rounds", e.InnerException!.Message, StringComparison.Ordinal);
        await sub.Msgs.Completion.WaitAsync(ct);
        lock (errors) Assert.Contains(errors, x => x.Message.Contains("gave up reconnecting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Publishing_while_disconnected_waits_when_the_reconnect_buffer_is_full_and_nothing_is_lost()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(jetStream: false);
        await using var c = new NatsConnection(FastReconnect(server.Url) with { ReconnectBufferBytes = 16 * 1024 });
        await c.ConnectAsync(ct);
        // The connection's own subscription is re-established before the buffer is flushed, so every message must come back.
        var sub = await c.SubscribeAsync("bp.x", cancellationToken: ct);
        await c.PingAsync(ct);
        server.Kill();
        await WaitForStateAsync(c, NatsConnectionState.Reconnecting, ct);

        // 100 messages of ~1 KiB cannot fit a 16 KiB buffer: the publisher must block, not drop.
        var payload = new byte[1000];
        int published = 0;
        var publisher = Task.Run(async () =>
        {
            for (int i = 0; i < 100; i++)
            {
                payload[0] = (byte)i;
                await c.PublishAsync("bp.x", payload, cancellationToken: ct);
                Interlocked.Increment(ref published);
            }
        }, ct);
        while (Volatile.Read(ref published) < 8) await Task.Delay(10, ct);
        await Task.Delay(200, ct);
        Assert.False(publisher.IsCompleted);
        Assert.InRange(Volatile.Read(ref published), 8, 24); // 16 KiB buffer / ~1 KiB messages (+ the one being flushed)

        await server.RestartAsync();
        await publisher.WaitAsync(ct);
        for (int i = 0; i < 100; i++) Assert.Equal(i, (await sub.Msgs.ReadAsync(ct)).Data.Span[0]);
        Assert.Equal(NatsConnectionState.Open, c.ConnectionState);
    }

    [Fact]
    public async Task Cutting_the_connection_mid_frame_reconnects_and_never_delivers_a_corrupted_message()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(jetStream: false);
        await using var proxy = TcpProxy.Start(server.Port);
        await using var subscriber = new NatsConnection(FastReconnect(proxy.Url));
        await using var publisher = new NatsConnection(FastReconnect(server.Url));
        // States are observed through the event: a fast reconnect can be over before a poll sees "Reconnecting".
        var reconnected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool lost = false;
        subscriber.ConnectionStateChanged += (_, s) =>
        {
            if (s == NatsConnectionState.Reconnecting) lost = true;
            else if (s == NatsConnectionState.Open && lost) reconnected.TrySetResult();
        };
        await subscriber.ConnectAsync(ct);
        await publisher.ConnectAsync(ct);
        var sub = await subscriber.SubscribeAsync("cut.>", cancellationToken: ct);
        await subscriber.PingAsync(ct);

        var received = new List<int>();
        var reader = Task.Run(async () =>
        {
            await foreach (var m in sub.ReadAllAsync(ct))
            {
                int i = int.Parse(m.Subject.AsSpan(4), System.Globalization.CultureInfo.InvariantCulture);
                Assert.Equal(Payload(i), m.Data.ToArray());
                Assert.Equal(i.ToString(System.Globalization.CultureInfo.InvariantCulture), m.Headers!["Seq"]);
                received.Add(i);
                if (i == 1999) return;
            }
        }, ct);

        for (int i = 0; i < 1000; i++) await PublishAsync(publisher, i, ct);
        await publisher.PingAsync(ct);
        while (Volatile.Read(ref received) is { Count: < 1000 }) await Task.Delay(10, ct);
        proxy.CutAfterServerBytes(137); // lands inside an HMSG frame
        for (int i = 1000; i < 1200; i++) await PublishAsync(publisher, i, ct);
        await reconnected.Task.WaitAsync(ct);
        await subscriber.PingAsync(ct); // the resubscription is in place
        for (int i = 1200; i < 2000; i++) await PublishAsync(publisher, i, ct);
        await reader.WaitAsync(ct);

        Assert.True(proxy.AcceptedConnections >= 2);
        Assert.Equal(received.Order(), received); // in order, no duplicates
        Assert.Equal(Enumerable.Range(1200, 800), received.Where(i => i >= 1200)); // everything after the resubscription
        Assert.Equal(Enumerable.Range(0, 1000), received.Where(i => i < 1000));
    }

    private static byte[] Payload(int i)
    {
        var b = new byte[100 + (i % 50)];
        for (int k = 0; k < b.Length; k++) b[k] = (byte)(i * 31 + k);
        return b;
    }

    private static ValueTask PublishAsync(NatsConnection c, int i, CancellationToken ct) =>
        c.PublishAsync($"cut.{i}", Payload(i), new NatsHeaders { ["Seq"] = i.ToString(System.Globalization.CultureInfo.InvariantCulture) }, cancellationToken: ct);

    [Fact]
    public async Task A_stalled_connection_is_detected_by_missing_PONGs_and_replaced()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(jetStream: false);
        await using var proxy = TcpProxy.Start(server.Port);
        await using var c = new NatsConnection(FastReconnect(proxy.Url) with { PingInterval = TimeSpan.FromMilliseconds(100), MaxPingsOut = 2 });
        await c.ConnectAsync(ct);
        var sub = await c.SubscribeAsync("stall", cancellationToken: ct);
        proxy.Pause();
        await WaitForStateAsync(c, NatsConnectionState.Reconnecting, ct);
        proxy.CutAll();
        proxy.Resume();
        await WaitForStateAsync(c, NatsConnectionState.Open, ct);
        await c.PublishAsync("stall", "ok"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("ok", Encoding.UTF8.GetString((await sub.Msgs.ReadAsync(ct)).Data.Span));
    }
}
