using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

/// <summary>kill -9 of the broker with PubAcks in flight: what was acknowledged must survive.</summary>
public sealed class JetStreamCrashTests
{
    [Fact]
    public async Task Every_acknowledged_publish_survives_kill_9_and_retries_with_the_same_msg_id_do_not_duplicate()
    {
        var ct = Timeout(20);
        await using var server = await NatsServer.StartAsync();
        await using var nc = await ConnectAsync(server.Url, ct);
        var js = new NatsJSContext(nc) { RequestTimeout = TimeSpan.FromSeconds(2) };
        await js.CreateStreamAsync(new StreamConfig("CRASH", "crash.>") { DuplicateWindow = TimeSpan.FromMinutes(5) }, ct);
        const int count = 4000;
        var acks = new Task<PubAck>[count];
        int acked = 0;

        var publishing = Task.Run(async () =>
        {
            await using var publisher = js.CreatePublisher(maxInFlight: 256, ackTimeout: TimeSpan.FromSeconds(2));
            for (int i = 0; i < count; i++)
            {
                acks[i] = await publisher.PublishAsync("crash.e", Bytes($"e{i}"), msgId: $"m{i}", cancellationToken: ct);
                _ = acks[i].ContinueWith(_ => Interlocked.Increment(ref acked), TaskScheduler.Default);
            }
            await publisher.WaitForPendingAsync(ct);
        }, ct);

        while (Volatile.Read(ref acked) < 1000) await Task.Delay(5, ct);
        server.Kill();                 // acks are in flight right now
        await server.RestartAsync();   // same port, same store
        await publishing.WaitAsync(ct);

        var confirmed = Enumerable.Range(0, count).Where(i => acks[i].IsCompletedSuccessfully).ToList();
        var failed = Enumerable.Range(0, count).Where(i => !acks[i].IsCompletedSuccessfully).ToList();
        Assert.True(confirmed.Count >= 1000, $"only {confirmed.Count} acks before the kill");
        Assert.All(failed, i => Assert.IsAssignableFrom<NatsException>(acks[i].Exception!.InnerException));

        // Every message that got a PubAck is in the stream after the restart.
        var stored = await ReadAllMsgIdsAsync(js, "CRASH", ct);
        var missing = confirmed.Where(i => !stored.Contains($"m{i}")).ToList();
        Assert.Empty(missing);

        // Retry what failed with the same msg id: each ends up stored exactly once.
        foreach (var i in failed) await js.PublishAsync("crash.e", Bytes($"e{i}"), msgId: $"m{i}", cancellationToken: ct);
        var after = await ReadAllMsgIdsAsync(js, "CRASH", ct);
        Assert.Equal(count, after.Count);
        Assert.Equal((ulong)count, (await js.GetStreamAsync("CRASH", ct)).State.Messages);
    }

    private static async Task<HashSet<string>> ReadAllMsgIdsAsync(NatsJSContext js, string stream, CancellationToken ct)
    {
        var info = await js.GetStreamAsync(stream, ct);
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig { AckPolicy = AckPolicy.None, InactiveThreshold = TimeSpan.FromSeconds(30) }, ct);
        var ids = new HashSet<string>();
        ulong seen = 0;
        while (seen < info.State.Messages)
        {
            int got = 0;
            await foreach (var m in consumer.FetchAsync(1000, TimeSpan.FromSeconds(2), cancellationToken: ct))
            {
                Assert.True(ids.Add(m.Headers?["Nats-Msg-Id"] ?? "?"), $"duplicate {m.Headers?["Nats-Msg-Id"]} at seq {m.Metadata.StreamSeq}");
                got++;
            }
            if (got == 0) break;
            seen += (ulong)got;
        }
        Assert.Equal(info.State.Messages, (ulong)ids.Count);
        return ids;
    }
}
