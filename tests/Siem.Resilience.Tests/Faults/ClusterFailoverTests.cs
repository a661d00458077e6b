using Siem.Engine.Pipeline;
using Siem.Testing;

namespace Siem.Resilience.Tests.Faults;

/// <summary>A 3-node nats-server cluster with R3 streams loses a node to kill -9 while agents publish and engines consume.</summary>
public sealed class ClusterFailoverTests
{
    [Fact]
    public async Task Kill_9_of_the_stream_leader_mid_run_loses_and_duplicates_nothing_in_the_index()
    {
        await using var cluster = await NatsCluster.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(90));
        await ResilienceKit.CreateStreamsAsync(cluster.Urls, replicas: 3, kit.Deadline);
        var agents = new[] { kit.StartAgent("web-01", cluster.Urls), kit.StartAgent("web-02", cluster.Urls) };
        await kit.StartEngineAsync("engine-a", cluster.Urls);
        await kit.StartEngineAsync("engine-b", cluster.Urls);

        const int perAgent = 3000, step = 100;
        int killedNode = -1;
        while (agents[0].LinesWritten < perAgent)
        {
            foreach (var a in agents) a.AppendLines(step);
            if (killedNode < 0 && agents[0].LinesWritten >= perAgent / 3)
            {
                // Wait until the run is really under way: records in the index, more still in flight.
                await kit.WaitUntilAsync(() => Siem.Host.Bench.Soak.SoakIndexAudit.Read(kit.IndexDb).Rows > 0, "the first records indexed");
                killedNode = await cluster.StreamLeaderAsync(EngineStreams.Events, kit.Deadline);
                Assert.True(killedNode >= 0, "no node named a leader for SIEM_EVENTS");
                cluster.Kill(killedNode);
            }
            await Task.Delay(40, kit.Deadline);
        }
        // The two surviving nodes keep the quorum; everything must arrive before the killed node is back.
        await kit.WaitAllIndexedAsync();
        kit.AssertExactlyOnce();

        // The node rejoins from its store and the stream keeps working with all three.
        await cluster.RestartAsync(killedNode);
        await cluster.WaitForMetaLeaderAsync(kit.Deadline);
        foreach (var a in agents) a.AppendLines(step);
        await kit.WaitAllIndexedAsync();
        kit.AssertExactlyOnce();
        Assert.Equal(2 * (perAgent + step), kit.LinesWritten);
    }
}
