using Siem.Testing;

namespace Siem.Nats.Tests;

public sealed class ClusterTests
{
    [Fact]
    public async Task Client_learns_the_cluster_from_INFO_and_fails_over_to_a_server_it_was_not_given()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;
        int routeA = NatsServer.FreePort(), routeB = NatsServer.FreePort();
        static string Cluster(string name, int listen, int peer) =>
            $"server_name: {name}\ncluster {{\n  name: siem\n  listen: 127.0.0.1:{listen}\n  routes: [\"nats-route://127.0.0.1:{peer}\"]\n}}\n";
        await using var a = await NatsServer.StartAsync(Cluster("a", routeA, routeB), jetStream: false);
        await using var b = await NatsServer.StartAsync(Cluster("b", routeB, routeA), jetStream: false);
        await using var c = new NatsConnection(NatsOpts.Default with
        {
            Servers = [a.Url],
            ReconnectWaitMin = TimeSpan.FromMilliseconds(20),
            ReconnectWaitMax = TimeSpan.FromMilliseconds(200),
        });
        await c.ConnectAsync(ct);
        Assert.Equal(a.Url, c.ConnectedUrl);
        // The route forms asynchronously; the server then sends an INFO update with both client URLs.
        while (c.ServerInfo!.ConnectUrls.Count < 2) await Task.Delay(20, ct);
        var sub = await c.SubscribeAsync("cluster.x", cancellationToken: ct);
        await c.PingAsync(ct);

        a.Kill();
        while (c.ConnectionState != NatsConnectionState.Open || c.ConnectedUrl != b.Url) await Task.Delay(20, ct);
        await c.PingAsync(ct); // the resubscription on b is in place
        await using var other = new NatsConnection(NatsOpts.Default with { Servers = [b.Url] });
        await other.ConnectAsync(ct);
        await other.PublishAsync("cluster.x", "failover"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("failover"u8.ToArray(), (await sub.Msgs.ReadAsync(ct)).Data.ToArray());
    }
}
