using System.Text;
using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class RequestReplyTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(15)).Token;

    private async Task<NatsConnection> ConnectAsync()
    {
        var c = new NatsConnection(NatsOpts.Default with { Servers = [fixture.Url] });
        await c.ConnectAsync(Timeout());
        return c;
    }

    [Fact]
    public async Task Concurrent_requests_over_one_inbox_each_get_their_own_reply()
    {
        var ct = Timeout();
        await using var server = await ConnectAsync();
        await using var client = await ConnectAsync();
        var sub = await server.SubscribeAsync("rr.echo", cancellationToken: ct);
        await server.PingAsync(ct);
        var responder = Task.Run(async () =>
        {
            await foreach (var m in sub.ReadAllAsync(ct))
            {
                var h = new NatsHeaders { ["Echo"] = m.Headers?["Req"] ?? "none" };
                await server.PublishAsync(m.ReplyTo!, Encoding.UTF8.GetBytes("re:" + Encoding.UTF8.GetString(m.Data.Span)), h, cancellationToken: ct);
            }
        }, ct);
        var tasks = Enumerable.Range(0, 50).Select(async i =>
        {
            var reply = await client.RequestAsync("rr.echo", Encoding.UTF8.GetBytes($"q{i}"), new NatsHeaders { ["Req"] = $"h{i}" }, cancellationToken: ct);
            return (i, Encoding.UTF8.GetString(reply.Data.Span), reply.Headers!["Echo"]);
        }).ToList();
        foreach (var (i, body, echo) in await Task.WhenAll(tasks))
        {
            Assert.Equal($"re:q{i}", body);
            Assert.Equal($"h{i}", echo);
        }
        await sub.UnsubscribeAsync();
        await responder;
    }

    [Fact]
    public async Task Request_without_subscribers_throws_no_responders()
    {
        await using var c = await ConnectAsync();
        await Assert.ThrowsAsync<NatsNoRespondersException>(async () => await c.RequestAsync("rr.nobody.home", new byte[] { 1 }, cancellationToken: Timeout()));
    }

    [Fact]
    public async Task Request_that_is_never_answered_times_out_with_a_typed_error()
    {
        var ct = Timeout();
        await using var c = await ConnectAsync();
        await using var silent = await c.SubscribeAsync("rr.silent", cancellationToken: ct);
        await c.PingAsync(ct);
        var e = await Assert.ThrowsAsync<NatsTimeoutException>(async () => await c.RequestAsync("rr.silent", new byte[] { 1 }, timeout: TimeSpan.FromMilliseconds(200), cancellationToken: ct));
        Assert.Contains("rr.silent", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void New_inbox_is_unique_and_under_INBOX()
    {
        var c = new NatsConnection();
        var a = c.NewInbox();
        var b = c.NewInbox();
        Assert.StartsWith("_INBOX.", a, StringComparison.Ordinal);
        Assert.Equal(29, a.Length);
        Assert.NotEqual(a, b);
    }
}
