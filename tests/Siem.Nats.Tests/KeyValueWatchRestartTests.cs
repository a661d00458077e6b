using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class KeyValueWatchRestartTests
{
    [Fact]
    public async Task Watch_continues_after_the_server_was_killed_and_restarted_without_repeating_entries()
    {
        var ct = Timeout(20);
        await using var server = await NatsServer.StartAsync();
        await using var nc = await ConnectAsync(server.Url, ct);
        var js = new NatsJSContext(nc);
        var kv = await js.CreateKeyValueAsync(new KvConfig("watched"), ct);
        await kv.PutAsync("a", Bytes("1"), ct);

        var seen = new List<(string, string, ulong)>();
        await foreach (var e in kv.WatchAsync(cancellationToken: ct))
        {
            seen.Add((e.Key, Text(e.Value), e.Revision));
            if (seen.Count == 1)
            {
                var reconnected = ConsumerConsumeTests.ReconnectedAsync(nc, ct);
                await server.RestartAsync(); // kill -9, same store
                await reconnected;
                await kv.PutAsync("b", Bytes("2"), ct);
                await kv.PutAsync("a", Bytes("3"), ct);
            }
            if (seen.Count == 3) break;
        }

        Assert.Equal(new[] { ("a", "1", 1UL), ("b", "2", 2UL), ("a", "3", 3UL) }, seen);
    }
}
