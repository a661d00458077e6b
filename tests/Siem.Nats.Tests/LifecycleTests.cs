using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class LifecycleTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    private NatsConnection New() => new(NatsOpts.Default with { Servers = [fixture.Url] });

    [Fact]
    public async Task Dispose_flushes_publishes_that_are_still_buffered()
    {
        var ct = Timeout();
        await using var subscriber = New();
        await subscriber.ConnectAsync(ct);
        var sub = await subscriber.SubscribeAsync("life.flush", cancellationToken: ct);
        await subscriber.PingAsync(ct);
        var publisher = New();
        await publisher.ConnectAsync(ct);
        for (int i = 0; i < 10_000; i++) await publisher.PublishAsync("life.flush", BitConverter.GetBytes(i), cancellationToken: ct);
        await publisher.DisposeAsync(); // no explicit ping: disposal must not lose the buffer
        for (int i = 0; i < 10_000; i++) Assert.Equal(i, BitConverter.ToInt32((await sub.Msgs.ReadAsync(ct)).Data.Span));
        await Assert.ThrowsAsync<NatsConnectionException>(async () => await publisher.PublishAsync("life.flush", new byte[1], cancellationToken: ct));
    }

    [Fact]
    public async Task Drain_delivers_what_the_server_already_sent_then_completes_subscriptions_and_closes()
    {
        var ct = Timeout();
        await using var publisher = New();
        await publisher.ConnectAsync(ct);
        var subscriber = New();
        await subscriber.ConnectAsync(ct);
        var sub = await subscriber.SubscribeAsync("life.drain", cancellationToken: ct);
        await subscriber.PingAsync(ct);
        for (int i = 0; i < 500; i++) await publisher.PublishAsync("life.drain", BitConverter.GetBytes(i), cancellationToken: ct);
        await publisher.PingAsync(ct);
        await subscriber.DrainAsync(ct);
        Assert.Equal(NatsConnectionState.Closed, subscriber.ConnectionState);
        var got = new List<int>();
        await foreach (var m in sub.ReadAllAsync(ct)) got.Add(BitConverter.ToInt32(m.Data.Span));
        Assert.Equal(Enumerable.Range(0, 500), got);
    }

    [Fact]
    public async Task Pending_request_fails_with_a_connection_error_when_the_connection_is_disposed()
    {
        var ct = Timeout();
        var c = New();
        await c.ConnectAsync(ct);
        await using var silent = await c.SubscribeAsync("life.silent", cancellationToken: ct);
        await c.PingAsync(ct);
        var request = c.RequestAsync("life.silent", new byte[1], timeout: TimeSpan.FromSeconds(30), cancellationToken: ct).AsTask();
        await c.PingAsync(ct);
        await c.DisposeAsync();
        await Assert.ThrowsAsync<NatsConnectionException>(() => request);
    }

    [Fact]
    public async Task Connect_to_a_port_nobody_listens_on_fails_naming_the_server()
    {
        var url = $"nats://127.0.0.1:{NatsServer.FreePort()}";
        await using var c = new NatsConnection(NatsOpts.Default with { Servers = [url] });
        var e = await Assert.ThrowsAsync<NatsConnectionException>(async () => await c.ConnectAsync(Timeout()));
        Assert.Contains(url, e.Message, StringComparison.Ordinal);
        Assert.Equal(NatsConnectionState.Closed, c.ConnectionState);
    }

    [Fact]
    public async Task Publish_before_connect_is_a_clear_error()
    {
        await using var c = New();
        var e = await Assert.ThrowsAsync<NatsConnectionException>(async () => await c.PublishAsync("x", new byte[1]));
        Assert.Contains("ConnectAsync", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("has space")]
    [InlineData("tab\there")]
    public async Task Invalid_subjects_are_rejected_before_anything_is_sent(string subject)
    {
        await using var c = New();
        await c.ConnectAsync(Timeout());
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await c.PublishAsync(subject, new byte[1]));
        await Assert.ThrowsAnyAsync<ArgumentException>(async () => await c.SubscribeAsync(subject));
        await c.PingAsync(Timeout());
    }

    [Fact]
    public async Task A_permissions_violation_is_reported_as_an_authorization_error_and_the_connection_stays_usable()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync(
            "authorization { users = [ { user: app, password: pw, permissions: { publish: { deny: [\"secret.>\"] } } } ] }", jetStream: false);
        await using var c = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Username = "app", Password = "pw" });
        var errors = new TaskCompletionSource<NatsException>(TaskCreationOptions.RunContinuationsAsynchronously);
        c.Error += (_, e) => errors.TrySetResult(e);
        await c.ConnectAsync(ct);
        await c.PublishAsync("secret.plans", new byte[1], cancellationToken: ct);
        var error = await errors.Task.WaitAsync(ct);
        Assert.IsType<NatsAuthorizationException>(error);
        Assert.Contains("Permissions Violation for Publish to \"secret.plans\"", error.Message, StringComparison.Ordinal);
        await using var sub = await c.SubscribeAsync("public.x", cancellationToken: ct);
        await c.PublishAsync("public.x", new byte[] { 7 }, cancellationToken: ct);
        Assert.Equal(7, (await sub.Msgs.ReadAsync(ct)).Data.Span[0]);
        Assert.Equal(NatsConnectionState.Open, c.ConnectionState);
    }
}
