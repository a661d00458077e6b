using Siem.Collectors.Agent;
using Siem.Collectors.Delivery;
using Siem.Collectors.Spool;
using Siem.Core.Envelope;

namespace Siem.Collectors.Tests.Delivery;

/// <summary>The publish window is bounded in bytes as well as in batches: each body stays in memory until its PubAck.</summary>
public sealed class BatchShipperWindowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-shipper-").FullName;

    [Fact]
    public async Task Batches_in_flight_stop_at_the_byte_bound_and_continue_as_acks_arrive()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var publisher = new HeldAckPublisher();
        using var metrics = new AgentMetrics();
        using var spool = new DiskSpool(Path.Combine(_dir, "spool"), SpoolOptions.Default);
        var options = new ShipperOptions { MaxInFlight = 32, MaxInFlightBytes = 3000 };
        await using var shipper = new BatchShipper(publisher, spool, SpoolOptions.Default, options, metrics);

        for (ulong seq = 1; seq <= 6; seq++) await shipper.SendAsync(Batch(seq, bodyBytes: 1000), timeout.Token);
        await WaitUntilAsync(() => publisher.Published.Count == 3, timeout.Token);
        await Task.Delay(200, timeout.Token); // would a fourth go out? (it must not: 3 x 1000 bytes reach the bound)
        Assert.Equal([1UL, 2UL, 3UL], publisher.Published);

        publisher.AckOldest();
        await WaitUntilAsync(() => publisher.Published.Count == 4, timeout.Token);
        publisher.AckAll();
        await WaitUntilAsync(() => publisher.Published.Count == 6, timeout.Token);
        publisher.AckAll();
        await WaitUntilAsync(() => metrics.RecordsShipped == 6, timeout.Token);
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], publisher.Published);
    }

    [Fact]
    public async Task A_batch_larger_than_the_byte_bound_is_still_sent_alone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var publisher = new HeldAckPublisher();
        using var metrics = new AgentMetrics();
        using var spool = new DiskSpool(Path.Combine(_dir, "spool"), SpoolOptions.Default);
        await using var shipper = new BatchShipper(publisher, spool, SpoolOptions.Default, new ShipperOptions { MaxInFlightBytes = 100 }, metrics);

        await shipper.SendAsync(Batch(1, bodyBytes: 5000), timeout.Token);
        await shipper.SendAsync(Batch(2, bodyBytes: 10), timeout.Token);
        await WaitUntilAsync(() => publisher.Published.Count == 1, timeout.Token);
        await Task.Delay(200, timeout.Token);
        Assert.Equal([1UL], publisher.Published);
        publisher.AckAll();
        await WaitUntilAsync(() => publisher.Published.Count == 2, timeout.Token);
        publisher.AckAll();
        await WaitUntilAsync(() => metrics.RecordsShipped == 2, timeout.Token);
    }

    [Fact]
    public async Task While_acks_flow_the_sender_waits_instead_of_spooling_more_than_half_a_mebibyte_ahead_of_the_publisher()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var publisher = new HeldAckPublisher();
        using var metrics = new AgentMetrics();
        using var spool = new DiskSpool(Path.Combine(_dir, "spool"), SpoolOptions.Default);
        // One batch in flight at a time, so the others wait unread in the spool.
        await using var shipper = new BatchShipper(publisher, spool, SpoolOptions.Default, new ShipperOptions { MaxInFlightBytes = 1 }, metrics);
        await shipper.SendAsync(Batch(1, bodyBytes: 200_000), timeout.Token);
        await WaitUntilAsync(() => publisher.Published.Count == 1, timeout.Token);
        publisher.AckAll();
        await WaitUntilAsync(() => metrics.RecordsShipped == 1, timeout.Token);

        // Acks flow: #2 goes out, #3-#5 wait unread (600 kB after #5); #6 finds 600 kB unread and must wait for the publisher.
        for (ulong seq = 2; seq <= 5; seq++) await shipper.SendAsync(Batch(seq, bodyBytes: 200_000), timeout.Token);
        var sixth = shipper.SendAsync(Batch(6, bodyBytes: 200_000), timeout.Token).AsTask();
        await Task.Delay(300, timeout.Token);
        Assert.False(sixth.IsCompleted);
        Assert.Equal(4, shipper.SpoolBatches);

        while (metrics.RecordsShipped < 6)
        {
            publisher.AckAll();
            await Task.Delay(10, timeout.Token);
        }
        await sixth;
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], publisher.Published);
    }

    private static OutgoingBatch Batch(ulong seq, int bodyBytes) =>
        new("siem.events.acme.web-01", new SealedEnvelope([new("Nats-Msg-Id", $"web-01-{seq}")], new byte[bodyBytes], $"web-01-{seq}") { BatchSeq = seq }, 1, []);

    private static async Task WaitUntilAsync(Func<bool> condition, CancellationToken cancellationToken)
    {
        while (!condition()) await Task.Delay(10, cancellationToken);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    /// <summary>A connected broker whose PubAcks arrive only when the test releases them, oldest first.</summary>
    private sealed class HeldAckPublisher : IBatchPublisher
    {
        private readonly List<TaskCompletionSource> _acks = [];
        private readonly List<ulong> _published = [];

        public bool IsConnected => true;

        public List<ulong> Published { get { lock (_published) return [.. _published]; } }

        public ValueTask<Task> PublishAsync(string subject, SealedEnvelope envelope, CancellationToken cancellationToken)
        {
            var ack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            lock (_published)
            {
                _published.Add(envelope.BatchSeq);
                _acks.Add(ack);
            }
            return ValueTask.FromResult(ack.Task);
        }

        public void AckOldest()
        {
            lock (_published) _acks.First(a => !a.Task.IsCompleted).SetResult();
        }

        public void AckAll()
        {
            lock (_published) foreach (var a in _acks) a.TrySetResult();
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
