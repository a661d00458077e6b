using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

public sealed class KeyValueTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Bucket_is_a_stream_over_KV_subjects_with_history_per_key()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var bucket = Name("cfg");
        var kv = await js.CreateKeyValueAsync(new KvConfig(bucket) { History = 3 }, ct);

        var info = await js.GetStreamAsync($"KV_{bucket}", ct);
        Assert.Equal(new[] { $"$KV.{bucket}.>" }, info.Config.Subjects);
        Assert.Equal(3, info.Config.MaxMsgsPerSubject);
        Assert.True(info.Config.AllowRollupHeaders);
        Assert.True(info.Config.DenyDelete);
        Assert.Equal(bucket, (await js.GetKeyValueAsync(bucket, ct)).Bucket);
        var missing = await Assert.ThrowsAsync<NatsJSApiException>(() => js.GetKeyValueAsync(Name("nobucket"), ct));
        Assert.Equal(10059, missing.ErrCode);
        Assert.NotNull(kv);
    }

    [Fact]
    public async Task Put_then_get_returns_the_latest_value_and_its_revision()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var kv = await js.CreateKeyValueAsync(new KvConfig(Name("kv")), ct);

        var r1 = await kv.PutAsync("agents.a1.checkpoint", Bytes("100"), ct);
        var r2 = await kv.PutAsync("agents.a2.checkpoint", Bytes("7"), ct);
        var r3 = await kv.PutAsync("agents.a1.checkpoint", Bytes("250"), ct);

        Assert.Equal((1UL, 2UL, 3UL), (r1, r2, r3));
        var entry = await kv.GetAsync("agents.a1.checkpoint", ct);
        Assert.NotNull(entry);
        Assert.Equal("250", Text(entry.Value));
        Assert.Equal(3UL, entry.Revision);
        Assert.Equal(KvOperation.Put, entry.Operation);
        Assert.Equal("agents.a1.checkpoint", entry.Key);
        Assert.Null(await kv.GetAsync("agents.a3.checkpoint", ct));
        await Assert.ThrowsAsync<ArgumentException>(() => kv.GetAsync("bad key", ct));
    }

    [Fact]
    public async Task Delete_hides_the_key_and_purge_also_removes_its_history()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var bucket = Name("kvdel");
        var kv = await js.CreateKeyValueAsync(new KvConfig(bucket) { History = 10 }, ct);
        await kv.PutAsync("a", Bytes("1"), ct);
        await kv.PutAsync("a", Bytes("2"), ct);
        await kv.PutAsync("b", Bytes("x"), ct);

        await kv.DeleteAsync("a", ct);
        Assert.Null(await kv.GetAsync("a", ct));
        Assert.Equal(4UL, (await js.GetStreamAsync($"KV_{bucket}", ct)).State.Messages); // history and the marker stay

        await kv.PurgeAsync("a", ct);
        Assert.Null(await kv.GetAsync("a", ct));
        // Only the purge marker of "a" and the value of "b" are left.
        Assert.Equal(2UL, (await js.GetStreamAsync($"KV_{bucket}", ct)).State.Messages);
        Assert.Equal("x", Text((await kv.GetAsync("b", ct))!.Value));
    }

    [Fact]
    public async Task Watch_yields_the_latest_entry_per_key_then_live_changes_with_their_operation()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var js = new NatsJSContext(nc);
        var kv = await js.CreateKeyValueAsync(new KvConfig(Name("kvwatch")) { History = 5 }, ct);
        await kv.PutAsync("a", Bytes("a1"), ct);
        await kv.PutAsync("b", Bytes("b1"), ct);
        await kv.PutAsync("a", Bytes("a2"), ct);

        var seen = new List<KvEntry>();
        await foreach (var e in kv.WatchAsync(cancellationToken: ct))
        {
            seen.Add(e);
            if (seen.Count == 2)
            {
                await kv.PutAsync("c", Bytes("c1"), ct);
                await kv.DeleteAsync("b", ct);
            }
            if (seen.Count == 4) break;
        }

        Assert.Equal(
            new[] { ("b", "b1", 2UL, KvOperation.Put, 1UL), ("a", "a2", 3UL, KvOperation.Put, 0UL), ("c", "c1", 4UL, KvOperation.Put, 0UL), ("b", "", 5UL, KvOperation.Delete, 0UL) },
            seen.Select(e => (e.Key, Text(e.Value), e.Revision, e.Operation, e.Delta)));
    }
}
