using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class ConsumerHeartbeatTests
{
    [Fact]
    public async Task Fetch_with_idle_heartbeats_fails_clearly_when_the_server_goes_silent()
    {
        var ct = Timeout();
        await using var server = await NatsServer.StartAsync();
        await using var nc = await ConnectAsync(server.Url, ct);
        var js = new NatsJSContext(nc);
        await js.CreateStreamAsync(new StreamConfig("HB", "hb.>"), ct);
        var consumer = await js.CreateOrUpdateConsumerAsync("HB", new ConsumerConfig("watch"), ct);

        var fetched = new List<NatsJSMsg>();
        var fetch = Task.Run(async () =>
        {
            await foreach (var m in consumer.FetchAsync(10, TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(500), ct)) fetched.Add(m);
        }, ct);
        await Task.Delay(300, ct); // let the pull reach the server
        server.Kill();

        var e = await Assert.ThrowsAsync<NatsJSException>(() => fetch.WaitAsync(ct));
        Assert.Contains("missed two idle heartbeats", e.Message, StringComparison.Ordinal);
        Assert.Empty(fetched);
    }
}
