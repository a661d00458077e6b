using System.Text;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Resilience.Tests.ScaleOut;

/// <summary>
/// The building block for partitioned correlation state (issue #8.2): nats-server 2.9.10's subject mapping with the
/// <c>partition(n, wildcard...)</c> function sends every message with the same group-key token to the same one of n
/// partition subjects, so the engine owning a partition sees every event of its group keys.
/// </summary>
public sealed class PartitionMappingTests
{
    [Fact]
    public async Task The_server_maps_each_group_key_token_to_one_stable_partition_out_of_n()
    {
        const int partitions = 4;
        await using var server = await NatsServer.StartAsync($$$"""
            mappings = {
              "siem.corr.in.*.*": "siem.corr.p.{{partition({{{partitions}}},2)}}.{{wildcard(1)}}.{{wildcard(2)}}"
            }
            """);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await connection.ConnectAsync(timeout.Token);
        await using var sub = await connection.SubscribeAsync("siem.corr.p.>", cancellationToken: timeout.Token);
        await using var unmapped = await connection.SubscribeAsync("siem.corr.in.>", cancellationToken: timeout.Token);

        var keys = Enumerable.Range(0, 40).Select(i => $"k{i * 7919 % 1000}").ToList();
        foreach (var round in Enumerable.Range(0, 3))
        {
            foreach (var key in keys) await connection.PublishAsync($"siem.corr.in.rule1.{key}", Encoding.UTF8.GetBytes($"{key}/{round}"), cancellationToken: timeout.Token);
        }
        await connection.PingAsync(timeout.Token);

        var partitionOf = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        for (int i = 0; i < keys.Count * 3; i++)
        {
            var msg = await sub.Msgs.ReadAsync(timeout.Token);
            var tokens = msg.Subject.Split('.');
            Assert.Equal(6, tokens.Length);
            Assert.InRange(int.Parse(tokens[3], System.Globalization.CultureInfo.InvariantCulture), 0, partitions - 1);
            Assert.Equal("rule1", tokens[4]);
            Assert.StartsWith(tokens[5] + "/", Encoding.UTF8.GetString(msg.Data.Span), StringComparison.Ordinal);
            if (!partitionOf.TryGetValue(tokens[5], out var set)) partitionOf[tokens[5]] = set = [];
            set.Add(tokens[3]);
        }
        Assert.Equal(keys.Distinct().Count(), partitionOf.Count);
        Assert.All(partitionOf.Values, p => Assert.Single(p)); // one key, one partition, every time
        Assert.Equal(partitions, partitionOf.Values.Select(p => p.Single()).Distinct().Count()); // 40 keys spread over all 4
        Assert.False(unmapped.Msgs.TryRead(out _), "the original subject is not delivered once mapped");
    }
}
