using Siem.Nats.JetStream;
using Siem.Testing;
using static Siem.Nats.Tests.JetStreamTestKit;

namespace Siem.Nats.Tests;

/// <summary>Compare-and-set writes on a KV bucket (create-only, update/delete at an expected revision), on a real nats-server.</summary>
public sealed class KeyValueConditionalTests(NatsServerFixture fixture) : IClassFixture<NatsServerFixture>
{
    [Fact]
    public async Task Create_succeeds_only_while_the_key_has_no_value_including_after_a_delete_or_purge()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var kv = await new NatsJSContext(nc).CreateKeyValueAsync(new KvConfig(Name("cas")) { History = 5 }, ct);

        var first = await kv.TryCreateAsync("lock.a", Bytes("one"), ct);
        var second = await kv.TryCreateAsync("lock.a", Bytes("two"), ct);
        await kv.DeleteAsync("lock.a", ct);
        var afterDelete = await kv.TryCreateAsync("lock.a", Bytes("three"), ct);
        await kv.PurgeAsync("lock.a", ct);
        var afterPurge = await kv.TryCreateAsync("lock.a", Bytes("four"), ct);

        Assert.Equal(1UL, first);
        Assert.Null(second);
        Assert.Equal(3UL, afterDelete);
        Assert.Equal(5UL, afterPurge);
        Assert.Equal("four", Text((await kv.GetAsync("lock.a", ct))!.Value));
    }

    [Fact]
    public async Task Update_and_delete_apply_only_at_the_expected_revision()
    {
        var ct = Timeout();
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var kv = await new NatsJSContext(nc).CreateKeyValueAsync(new KvConfig(Name("cas")), ct);
        ulong r1 = await kv.PutAsync("k", Bytes("1"), ct);

        var stale = await kv.TryUpdateAsync("k", Bytes("x"), r1 + 7, ct);
        var r2 = await kv.TryUpdateAsync("k", Bytes("2"), r1, ct);
        var again = await kv.TryUpdateAsync("k", Bytes("y"), r1, ct);
        bool staleDelete = await kv.TryDeleteAsync("k", r1, ct);
        string valueBeforeDelete = Text((await kv.GetAsync("k", ct))!.Value);
        bool delete = await kv.TryDeleteAsync("k", r2!.Value, ct);

        Assert.Null(stale);
        Assert.Equal(r1 + 1, r2);
        Assert.Null(again);
        Assert.False(staleDelete);
        Assert.Equal("2", valueBeforeDelete);
        Assert.True(delete);
        Assert.Null(await kv.GetAsync("k", ct));
    }

    [Fact]
    public async Task Of_eight_writers_racing_to_create_one_key_exactly_one_wins()
    {
        var ct = Timeout();
        var bucket = Name("race");
        await using var setup = await ConnectAsync(fixture.Url, ct);
        await new NatsJSContext(setup).CreateKeyValueAsync(new KvConfig(bucket), ct);
        var connections = new List<NatsConnection>();
        for (int i = 0; i < 8; i++) connections.Add(await ConnectAsync(fixture.Url, ct));
        try
        {
            var stores = new List<NatsKVStore>();
            foreach (var c in connections) stores.Add(await new NatsJSContext(c).GetKeyValueAsync(bucket, ct));
            var results = await Task.WhenAll(stores.Select((kv, i) => kv.TryCreateAsync("job.1", Bytes("writer-" + i), ct)));

            var winner = Assert.Single(results, r => r != null);
            var stored = Text((await stores[0].GetAsync("job.1", ct))!.Value);
            Assert.Equal("writer-" + Array.IndexOf(results, winner), stored);
        }
        finally
        {
            foreach (var c in connections) await c.DisposeAsync();
        }
    }

    [Fact]
    public async Task In_a_bucket_with_a_ttl_a_key_not_renewed_ages_out_and_can_be_created_again()
    {
        var ct = Timeout(20);
        await using var nc = await ConnectAsync(fixture.Url, ct);
        var kv = await new NatsJSContext(nc).CreateKeyValueAsync(new KvConfig(Name("lease")) { Ttl = TimeSpan.FromSeconds(1) }, ct);

        var held = await kv.TryCreateAsync("holder", Bytes("a"), ct);
        var whileHeld = await kv.TryCreateAsync("holder", Bytes("b"), ct);
        while (await kv.GetAsync("holder", ct) != null) await Task.Delay(100, ct);
        var afterExpiry = await kv.TryCreateAsync("holder", Bytes("b"), ct);

        Assert.NotNull(held);
        Assert.Null(whileHeld);
        Assert.NotNull(afterExpiry);
        Assert.Equal("b", Text((await kv.GetAsync("holder", ct))!.Value));
    }
}
