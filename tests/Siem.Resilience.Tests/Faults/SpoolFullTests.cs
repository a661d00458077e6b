using Siem.Host.Bench.Soak;
using Siem.Testing;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Faults;

/// <summary>The agent's spool reaches its size limit while the broker is down: the agent must stop reading, not drop or corrupt.</summary>
public sealed class SpoolFullTests(ITestOutputHelper output)
{
    private const long SpoolLimit = 64 * 1024;

    [Fact]
    public async Task A_full_spool_stops_the_agent_reading_survives_kill_9_and_drains_exactly_once_when_the_broker_returns()
    {
        await using var server = await NatsServer.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(100));
        string[] urls = [server.Url];
        await ResilienceKit.CreateStreamsAsync(urls, replicas: 1, kit.Deadline);
        // Small batches so several fit the 64 KiB spool; backpressure is the default policy, named here to make the test say it.
        var agent = kit.StartAgent("web-01", urls, $"""
            spool:
              max_bytes: {SpoolLimit}
              segment_bytes: 16384
              full_policy: backpressure
            """, maxRecords: 20, maxBatchBytes: 16_384);
        await kit.StartEngineAsync("engine-a", urls);
        agent.AppendLines(200);
        await kit.WaitAllIndexedAsync();

        server.Kill();
        agent.AppendLines(20_000);
        // Full: the spool stays within its limit and the agent stops reading (lines read stop moving, well short of the file).
        long lastRead = -1;
        await kit.WaitUntilAsync(() =>
        {
            var s = agent.Status();
            if (s == null) return false;
            Assert.True(s.SpoolBytes <= SpoolLimit, $"spool holds {s.SpoolBytes} bytes, limit {SpoolLimit}");
            bool stalled = s.SpoolBytes > SpoolLimit / 2 && s.LinesRead == lastRead && s.LinesRead < agent.LinesWritten;
            lastRead = s.LinesRead;
            if (!stalled) Thread.Sleep(1000);
            return stalled;
        }, "the agent to stop reading with a full spool");
        var full = agent.Status()!;
        output.WriteLine($"spool full: {full.SpoolBytes} bytes in {full.SpoolBatches} batches, {full.LinesRead} of {agent.LinesWritten} lines read");
        Assert.Equal(0, full.RecordsDropped);
        Assert.Equal(0, full.BatchesDropped);

        // kill -9 with a full spool: the restarted agent must reopen it intact.
        agent.Kill();
        agent.Start();
        await kit.WaitUntilAsync(() => agent.Status() is { } s && s.Pid == agent.Pid, "the restarted agent to report");
        await server.RestartAsync();
        await kit.WaitAllIndexedAsync();
        kit.AssertExactlyOnce();
        Assert.Equal(0, agent.Status()!.RecordsDropped);
    }
}
