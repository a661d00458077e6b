using Siem.Collectors.Agent;
using Siem.Collectors.Spool;

namespace Siem.Collectors.Tests.Agent;

public sealed class AgentDeliveryTests
{
    [Fact]
    public async Task Every_line_is_shipped_encrypted_exactly_once_and_the_checkpoint_follows_the_acks()
    {
        await using var kit = await AgentTestKit.StartAsync();
        kit.AppendLines(0, 3000);
        await using (var host = AgentHost.Start(kit.Options(), [kit.FileSource()]))
        {
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.RecordsShipped == 3000, "3000 records acknowledged");
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.Checkpoints.Values.SingleOrDefault() == new FileInfo(kit.LogPath).Length, "checkpoint at the end of the file");
            Assert.Equal(3000, host.Metrics.LinesRead);
            Assert.Equal(0, host.Metrics.RecordsDropped);
            Assert.Equal(0, host.SpoolBatches);
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        await kit.AssertExactlyOnceInOrderAsync(3000);
    }

    [Fact]
    public async Task While_the_broker_is_down_batches_spool_and_checkpoints_wait_then_everything_drains_in_order()
    {
        await using var kit = await AgentTestKit.StartAsync();
        kit.AppendLines(0, 1000);
        await using (var host = AgentHost.Start(kit.Options(), [kit.FileSource()]))
        {
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.RecordsShipped == 1000, "first 1000 records acknowledged");
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.Checkpoints.Values.SingleOrDefault() == new FileInfo(kit.LogPath).Length, "checkpoint after the first 1000 lines");
            var checkpointBefore = host.Metrics.Checkpoints.Values.Single();

            kit.Server.Kill();
            kit.AppendLines(1000, 2000);
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.LinesRead == 3000 && host.SpoolBatches >= 20, "3000 lines read and the rest spooled");
            Assert.Equal(1000, host.Metrics.RecordsShipped);
            Assert.Equal(checkpointBefore, host.Metrics.Checkpoints.Values.Single()); // nothing committed without a PubAck
            Assert.True(host.SpoolBytes > 0);

            await kit.Server.RestartAsync();
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.RecordsShipped >= 3000 && host.SpoolBatches == 0, "spool drained after the broker returned");
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.Checkpoints.Values.Single() == new FileInfo(kit.LogPath).Length, "checkpoint at the end after the drain");
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        await kit.AssertExactlyOnceInOrderAsync(3000);
    }

    [Fact]
    public async Task A_full_spool_with_backpressure_stops_reading_and_loses_nothing()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var options = kit.Options() with
        {
            Batch = new() { MaxRecords = 50, Linger = TimeSpan.FromMilliseconds(20) },
            Spool = new SpoolOptions { MaxBytes = 96 * 1024, SegmentBytes = 16 * 1024, FullPolicy = SpoolFullPolicy.Backpressure },
        };
        kit.Server.Kill();
        kit.AppendLines(0, 4000);
        await using (var host = AgentHost.Start(options, [kit.FileSource()]))
        {
            await AgentTestKit.WaitUntilAsync(() => kit.Log.Any(l => l.Contains("spool full", StringComparison.Ordinal)), "the spool to fill");
            var readWhenFull = host.Metrics.LinesRead;
            Assert.True(readWhenFull < 4000, $"read {readWhenFull} lines although the spool is full");
            Assert.True(host.SpoolBytes <= 96 * 1024);
            Assert.Equal(0, host.Metrics.RecordsDropped);
            Assert.Empty(host.Metrics.Checkpoints);

            await kit.Server.RestartAsync();
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.RecordsShipped == 4000 && host.SpoolBatches == 0, "all 4000 records after the broker returned", seconds: 20);
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        await kit.AssertExactlyOnceInOrderAsync(4000);
    }
}
