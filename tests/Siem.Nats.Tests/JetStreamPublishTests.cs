using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class JetStreamPublishTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Publish_returns_the_stream_and_sequence_of_the_stored_message()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("PUB");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>"), ct);

        var first = await js.PublishAsync($"{name}.a", Bytes("1"), cancellationToken: ct);
        var second = await js.PublishAsync($"{name}.b", Bytes("2"), cancellationToken: ct);

        Assert.Equal(new PubAck(name, 1, false), first);
        Assert.Equal(new PubAck(name, 2, false), second);
    }

    [Fact]
    public async Task A_retry_with_the_same_msg_id_is_stored_once_and_acked_as_duplicate_of_the_original()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("DEDUPE");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>") { DuplicateWindow = TimeSpan.FromMinutes(1) }, ct);
        var callerHeaders = new NatsHeaders { ["X-Batch"] = "7" };

        var original = await js.PublishAsync($"{name}.x", Bytes("batch-7"), callerHeaders, msgId: "agent1-7", cancellationToken: ct);
        var retry = await js.PublishAsync($"{name}.x", Bytes("batch-7"), callerHeaders, msgId: "agent1-7", cancellationToken: ct);
        var other = await js.PublishAsync($"{name}.x", Bytes("batch-8"), msgId: "agent1-8", cancellationToken: ct);

        Assert.Equal(new PubAck(name, 1, false), original);
        Assert.Equal(new PubAck(name, 1, true), retry);
        Assert.Equal(new PubAck(name, 2, false), other);
        Assert.Equal(2UL, (await js.GetStreamAsync(name, ct)).State.Messages);
        var stored = await js.GetMsgAsync(name, 1, ct);
        Assert.Equal("agent1-7", stored.Headers?["Nats-Msg-Id"]);
        Assert.Equal("7", stored.Headers?["X-Batch"]);
        Assert.Null(callerHeaders["Nats-Msg-Id"]); // the caller's headers are not modified
    }

    [Fact]
    public async Task Publishing_to_a_subject_no_stream_stores_fails_with_no_responders()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        await Assert.ThrowsAsync<NatsNoRespondersException>(() => js.PublishAsync(Name("nostream"), Bytes("x"), cancellationToken: ct));
        await using var publisher = js.CreatePublisher(8);
        var ack = await publisher.PublishAsync(Name("nostream"), Bytes("x"), cancellationToken: ct);
        var e = await Assert.ThrowsAsync<NatsNoRespondersException>(() => ack);
        Assert.Contains("no stream", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Publisher_keeps_many_acks_in_flight_and_every_message_gets_its_own_sequence()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("WINDOW");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>"), ct);
        await using var publisher = js.CreatePublisher(maxInFlight: 64);
        const int count = 5000;
        var acks = new Task<PubAck>[count];
        for (int i = 0; i < count; i++)
        {
            acks[i] = await publisher.PublishAsync($"{name}.e", Bytes($"event-{i}"), msgId: $"id-{i}", cancellationToken: ct);
            Assert.InRange(publisher.InFlight, 0, 64);
        }
        var results = await Task.WhenAll(acks).WaitAsync(ct);

        // Published in order on one connection, so stored in order.
        Assert.Equal(Enumerable.Range(1, count).Select(i => (ulong)i), results.Select(a => a.Seq));
        Assert.All(results, a => Assert.False(a.Duplicate));
        Assert.Equal(0, publisher.InFlight);
        Assert.Equal((ulong)count, (await js.GetStreamAsync(name, ct)).State.Messages);
        Assert.Equal("event-4321", Text((await js.GetMsgAsync(name, 4322, ct)).Data));
    }

    [Fact]
    public async Task An_error_PubAck_faults_only_that_message_with_the_api_error()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("FULL");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>") { MaxMsgs = 3, Discard = DiscardPolicy.New }, ct);
        await using var publisher = js.CreatePublisher(16);
        var acks = new List<Task<PubAck>>();
        for (int i = 0; i < 5; i++) acks.Add(await publisher.PublishAsync($"{name}.x", Bytes($"{i}"), cancellationToken: ct));

        await publisher.WaitForPendingAsync(ct);

        Assert.Equal(new ulong[] { 1, 2, 3 }, acks.Take(3).Select(t => t.Result.Seq));
        foreach (var rejected in acks.Skip(3))
        {
            var e = await Assert.ThrowsAsync<NatsJSApiException>(() => rejected);
            Assert.Equal(503, e.Code);
            Assert.Equal(10077, e.ErrCode);
            Assert.Contains("maximum messages exceeded", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task An_ack_that_never_comes_times_out_on_its_own_task_and_frees_its_window_slot()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var subject = Name("silent");
        // A plain subscriber receives the message but never answers: no PubAck will come.
        await using var silent = await nc.SubscribeAsync(subject, cancellationToken: ct);
        await using var publisher = js.CreatePublisher(maxInFlight: 1, ackTimeout: TimeSpan.FromMilliseconds(300));

        var first = await publisher.PublishAsync(subject, Bytes("x"), cancellationToken: ct);
        var second = await publisher.PublishAsync(subject, Bytes("y"), cancellationToken: ct); // waits for the slot

        var e = await Assert.ThrowsAsync<NatsTimeoutException>(() => first);
        Assert.Contains(subject, e.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<NatsTimeoutException>(() => second);
        Assert.Equal(2, publisher.Timeouts);
        Assert.Equal(0, publisher.InFlight);
    }
}
