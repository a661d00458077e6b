using Siem.Lineage.Purge;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Lineage.Tests;

/// <summary>The reads a purge and its verification make of whole streams, against a real nats-server.</summary>
public sealed class StreamMessagesTests
{
    [Fact]
    public async Task A_whole_stream_is_read_in_batches_in_sequence_order_across_deleted_messages_and_leaves_no_consumer()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var server = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await connection.ConnectAsync(cts.Token);
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("SCAN_LIMITS", "scan.limits.>"), cts.Token);
        // More than two pulls' worth, with holes where a purge erased messages.
        const int count = StreamMessages.ScanBatch * 2 + 77;
        for (int i = 1; i <= count; i++) await js.PublishAsync($"scan.limits.{i % 3}", System.Text.Encoding.UTF8.GetBytes($"message {i}"), cancellationToken: cts.Token);
        var erased = Enumerable.Range(1, count).Where(i => i % 7 == 0).Select(i => (ulong)i).ToHashSet();
        foreach (var seq in erased) await js.DeleteMsgAsync("SCAN_LIMITS", seq, cancellationToken: cts.Token);

        var read = new List<StreamMsg>();
        await foreach (var msg in StreamMessages.AllAsync(js, "SCAN_LIMITS", [], cts.Token)) read.Add(msg);

        var expected = Enumerable.Range(1, count).Select(i => (ulong)i).Where(s => !erased.Contains(s)).ToList();
        Assert.Equal(expected, read.Select(m => m.Seq));
        Assert.All(read, m => Assert.Equal($"message {m.Seq}", System.Text.Encoding.UTF8.GetString(m.Data.Span)));
        Assert.All(read, m => Assert.Equal($"scan.limits.{m.Seq % 3}", m.Subject));
        Assert.Equal(0, (await js.GetStreamAsync("SCAN_LIMITS", cts.Token)).State.ConsumerCount);
    }

    [Fact]
    public async Task A_work_queue_stream_with_its_own_consumer_is_read_by_sequence_and_a_missing_stream_is_noted()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var server = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await connection.ConnectAsync(cts.Token);
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("SCAN_WQ", "scan.wq.>") { Retention = RetentionPolicy.WorkQueue }, cts.Token);
        // The work queue's own consumer: a second one over the same messages would be refused by the server.
        await js.CreateOrUpdateConsumerAsync("SCAN_WQ", new ConsumerConfig("engine"), cts.Token);
        for (int i = 1; i <= 40; i++) await js.PublishAsync("scan.wq.a", System.Text.Encoding.UTF8.GetBytes($"batch {i}"), cancellationToken: cts.Token);

        var read = new List<ulong>();
        await foreach (var msg in StreamMessages.AllAsync(js, "SCAN_WQ", [], cts.Token)) read.Add(msg.Seq);
        Assert.Equal(Enumerable.Range(1, 40).Select(i => (ulong)i), read);

        var notes = new List<string>();
        await foreach (var _ in StreamMessages.AllAsync(js, "NO_SUCH_STREAM", notes, cts.Token)) Assert.Fail("a missing stream has no messages");
        Assert.Equal(["NO_SUCH_STREAM: no such stream"], notes);
    }
}
