using Siem.Engine.ScaleOut;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Resilience.Tests.ScaleOut;

/// <summary>Engines split the correlation partitions among the live ones and re-balance when one dies or leaves.</summary>
public sealed class PartitionMembershipTests
{
    private const int Partitions = 12;
    private static readonly PartitionMembershipOptions Fast = PartitionMembershipOptions.Default with { Heartbeat = TimeSpan.FromMilliseconds(200), Lease = TimeSpan.FromSeconds(1) };

    [Fact]
    public void Rendezvous_assignment_gives_every_partition_one_owner_and_moves_only_the_partitions_of_the_member_that_left()
    {
        string[] three = ["engine-a", "engine-b", "engine-c"];
        var owners = three.ToDictionary(m => m, m => PartitionMembership.Assign(m, three, 64));
        Assert.Equal(Enumerable.Range(0, 64), owners.Values.SelectMany(p => p).Order());
        Assert.All(owners.Values, p => Assert.InRange(p.Count, 10, 35));

        string[] two = ["engine-a", "engine-b"];
        foreach (var m in two)
        {
            var after = PartitionMembership.Assign(m, two, 64);
            Assert.Superset(owners[m].ToHashSet(), after.ToHashSet()); // kept everything it had, took some of engine-c's
        }
        Assert.Equal(Enumerable.Range(0, 64), two.SelectMany(m => PartitionMembership.Assign(m, two, 64)).Order());
    }

    [Fact]
    public async Task Engines_split_partitions_take_over_after_a_crash_and_a_graceful_leave_and_split_again_when_one_joins()
    {
        await using var server = await NatsServer.StartAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await connection.ConnectAsync(timeout.Token);
        var js = new NatsJSContext(connection);

        var a = await PartitionMembership.StartAsync(js, "engine-a", Partitions, Fast, timeout.Token);
        var b = await PartitionMembership.StartAsync(js, "engine-b", Partitions, Fast, timeout.Token);
        var c = await PartitionMembership.StartAsync(js, "engine-c", Partitions, Fast, timeout.Token);
        try
        {
            await SplitAsync([a, b, c], timeout.Token);
            var beforeCrash = (A: a.Owned.ToHashSet(), B: b.Owned.ToHashSet());

            await c.AbandonAsync(); // kill -9 as the others see it: no goodbye, heartbeats stop
            await SplitAsync([a, b], timeout.Token);
            Assert.Superset(beforeCrash.A, a.Owned.ToHashSet());
            Assert.Superset(beforeCrash.B, b.Owned.ToHashSet());

            await b.DisposeAsync(); // graceful leave
            await SplitAsync([a], timeout.Token);
            Assert.Equal(Enumerable.Range(0, Partitions), a.Owned);

            await using var d = await PartitionMembership.StartAsync(js, "engine-d", Partitions, Fast, timeout.Token);
            await SplitAsync([a, d], timeout.Token);
        }
        finally
        {
            await a.DisposeAsync();
            await b.DisposeAsync();
            await c.DisposeAsync();
        }
    }

    /// <summary>Waits until exactly these engines see each other and own every partition exactly once between them.</summary>
    private static async Task SplitAsync(PartitionMembership[] engines, CancellationToken cancellationToken)
    {
        var names = engines.Select(e => e.EngineId).Order(StringComparer.Ordinal).ToList();
        while (!(engines.All(e => e.Members.SequenceEqual(names))
                 && engines.SelectMany(e => e.Owned).Order().SequenceEqual(Enumerable.Range(0, Partitions))))
        {
            if (cancellationToken.IsCancellationRequested)
                throw new TimeoutException($"engines {string.Join(", ", names)} did not split the partitions: " +
                    string.Join("; ", engines.Select(e => $"{e.EngineId} sees [{string.Join(",", e.Members)}] owns [{string.Join(",", e.Owned)}]")));
            await Task.Delay(50, CancellationToken.None);
        }
    }
}
