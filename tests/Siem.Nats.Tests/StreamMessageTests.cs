using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class StreamMessageTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Get_by_sequence_and_last_for_subject_return_stored_subject_headers_and_data()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("GET");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>"), ct);
        var headers = new NatsHeaders { ["X-Tenant"] = "acme" };
        await js.PublishAsync($"{name}.a", Bytes("a1"), headers, cancellationToken: ct);
        await js.PublishAsync($"{name}.b", Bytes("b1"), cancellationToken: ct);
        await js.PublishAsync($"{name}.a", Bytes("a2"), cancellationToken: ct);

        var first = await js.GetMsgAsync(name, 1, ct);
        Assert.Equal($"{name}.a", first.Subject);
        Assert.Equal(1UL, first.Seq);
        Assert.Equal("a1", Text(first.Data));
        Assert.Equal("acme", first.Headers?["X-Tenant"]);
        Assert.True(first.Time > DateTimeOffset.UtcNow.AddMinutes(-5));

        var lastA = await js.GetLastMsgForSubjectAsync(name, $"{name}.a", ct);
        Assert.NotNull(lastA);
        Assert.Equal(3UL, lastA.Seq);
        Assert.Equal("a2", Text(lastA.Data));
        Assert.Null(lastA.Headers);
        Assert.Null(await js.GetLastMsgForSubjectAsync(name, $"{name}.c", ct));

        var missing = await Assert.ThrowsAsync<NatsJSApiException>(() => js.GetMsgAsync(name, 99, ct));
        Assert.Equal(10037, missing.ErrCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Deleted_message_is_gone_and_counted_as_deleted(bool erase)
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("DEL");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>"), ct);
        for (int i = 1; i <= 3; i++) await js.PublishAsync($"{name}.x", Bytes($"m{i}"), cancellationToken: ct);

        await js.DeleteMsgAsync(name, 2, erase, ct);

        var e = await Assert.ThrowsAsync<NatsJSApiException>(() => js.GetMsgAsync(name, 2, ct));
        Assert.Equal(10037, e.ErrCode);
        var info = await js.GetStreamAsync(name, ct);
        Assert.Equal(2UL, info.State.Messages);
        Assert.Equal(1, info.State.NumDeleted);
        Assert.Equal("m3", Text((await js.GetMsgAsync(name, 3, ct)).Data));
        var again = await Assert.ThrowsAsync<NatsJSApiException>(() => js.DeleteMsgAsync(name, 2, erase, ct));
        Assert.Equal(400, again.Code);
    }

    [Fact]
    public async Task Purge_with_a_subject_filter_removes_only_that_subject()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("PURGE");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.>"), ct);
        for (int i = 0; i < 4; i++) await js.PublishAsync($"{name}.alice", Bytes("x"), cancellationToken: ct);
        for (int i = 0; i < 3; i++) await js.PublishAsync($"{name}.bob", Bytes("y"), cancellationToken: ct);

        Assert.Equal(4UL, await js.PurgeStreamAsync(name, $"{name}.alice", ct));
        Assert.Null(await js.GetLastMsgForSubjectAsync(name, $"{name}.alice", ct));
        Assert.Equal(3UL, (await js.GetStreamAsync(name, ct)).State.Messages);

        Assert.Equal(3UL, await js.PurgeStreamAsync(name, cancellationToken: ct));
        Assert.Equal(0UL, (await js.GetStreamAsync(name, ct)).State.Messages);
    }
}
