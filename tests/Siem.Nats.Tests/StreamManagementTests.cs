using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class StreamManagementTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Create_info_update_and_delete_round_trip_every_configured_limit()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("LIMITS");
        var created = await js.CreateStreamAsync(new StreamConfig(name, $"{name}.a", $"{name}.b.>")
        {
            Retention = RetentionPolicy.Limits,
            Storage = StorageType.File,
            Replicas = 1,
            DuplicateWindow = TimeSpan.FromSeconds(30),
            MaxMsgs = 1000,
            MaxBytes = 1 << 20,
            MaxAge = TimeSpan.FromHours(1),
            MaxMsgSize = 4096,
            Discard = DiscardPolicy.New,
        }, ct);

        Assert.Equal(name, created.Config.Name);
        Assert.Equal(new[] { $"{name}.a", $"{name}.b.>" }, created.Config.Subjects);
        Assert.Equal(RetentionPolicy.Limits, created.Config.Retention);
        Assert.Equal(StorageType.File, created.Config.Storage);
        Assert.Equal(1, created.Config.Replicas);
        Assert.Equal(TimeSpan.FromSeconds(30), created.Config.DuplicateWindow);
        Assert.Equal(1000, created.Config.MaxMsgs);
        Assert.Equal(1 << 20, created.Config.MaxBytes);
        Assert.Equal(TimeSpan.FromHours(1), created.Config.MaxAge);
        Assert.Equal(4096, created.Config.MaxMsgSize);
        Assert.Equal(DiscardPolicy.New, created.Config.Discard);
        Assert.Equal(0UL, created.State.Messages);
        Assert.True(created.Created > DateTimeOffset.UtcNow.AddMinutes(-5));

        await js.PublishAsync($"{name}.b.x", Bytes("one"), cancellationToken: ct);
        var info = await js.GetStreamAsync(name, ct);
        Assert.Equal(1UL, info.State.Messages);
        Assert.Equal(1UL, info.State.LastSeq);

        var updated = await js.UpdateStreamAsync(created.Config with { MaxMsgs = 500 }, ct);
        Assert.Equal(500, updated.Config.MaxMsgs);

        Assert.True(await js.DeleteStreamAsync(name, ct));
        Assert.False(await js.DeleteStreamAsync(name, ct));
        var missing = await Assert.ThrowsAsync<NatsJSApiException>(() => js.GetStreamAsync(name, ct));
        Assert.Equal(404, missing.Code);
        Assert.Equal(10059, missing.ErrCode);
        Assert.Contains("stream not found", missing.Message, StringComparison.Ordinal);
        Assert.Contains("10059", missing.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Creating_a_stream_whose_name_exists_with_another_config_is_an_api_error()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("EXISTS");
        await js.CreateStreamAsync(new StreamConfig(name, $"{name}.x"), ct);
        var e = await Assert.ThrowsAsync<NatsJSApiException>(() => js.CreateStreamAsync(new StreamConfig(name, $"{name}.y"), ct));
        Assert.Equal(400, e.Code);
        Assert.Equal(10058, e.ErrCode);
        Assert.Contains("already in use", e.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Create_or_update_creates_a_missing_stream_then_updates_it()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var name = Name("UPSERT");
        var first = await js.CreateOrUpdateStreamAsync(new StreamConfig(name, $"{name}.x") { Retention = RetentionPolicy.WorkQueue }, ct);
        Assert.Equal(RetentionPolicy.WorkQueue, first.Config.Retention);
        var second = await js.CreateOrUpdateStreamAsync(new StreamConfig(name, $"{name}.x", $"{name}.y") { Retention = RetentionPolicy.WorkQueue }, ct);
        Assert.Equal(new[] { $"{name}.x", $"{name}.y" }, second.Config.Subjects);
    }

    [Fact]
    public async Task A_stream_name_with_a_dot_is_refused_before_anything_is_sent()
    {
        await using var nc = await ConnectAsync(fixture.Url);
        var js = new NatsJSContext(nc);
        var e = await Assert.ThrowsAsync<ArgumentException>(() => js.CreateStreamAsync(new StreamConfig("a.b", "x")));
        Assert.Contains("'a.b'", e.Message, StringComparison.Ordinal);
    }
}
