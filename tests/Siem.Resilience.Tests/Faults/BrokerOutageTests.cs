using Siem.Host.Bench.Soak;
using Siem.Testing;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Faults;

/// <summary>
/// The broker goes away for a minute (kill -9) while agents keep reading; then it comes back with its store. The issue's
/// target — caught up within twice the outage — is printed, not asserted (wall time on a shared machine); the deadline
/// bounds it at about three times.
/// </summary>
public sealed class BrokerOutageTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Agents_spool_through_a_one_minute_broker_outage_and_catch_up_exactly_once()
    {
        await using var server = await NatsServer.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(240));
        string[] urls = [server.Url];
        await ResilienceKit.CreateStreamsAsync(urls, replicas: 1, kit.Deadline);
        var agents = new[] { kit.StartAgent("web-01", urls), kit.StartAgent("web-02", urls) };
        await kit.StartEngineAsync("engine-a", urls);
        foreach (var a in agents) a.AppendLines(500);
        await kit.WaitAllIndexedAsync();

        server.Kill();
        var outage = TimeSpan.FromSeconds(60);
        var until = DateTime.UtcNow + outage;
        while (DateTime.UtcNow < until)
        {
            foreach (var a in agents) a.AppendLines(50);
            await Task.Delay(250, kit.Deadline);
        }
        // Everything written during the outage is in the agents' spools (or read and waiting for room in it), none in the index.
        await kit.WaitUntilAsync(() => agents.All(a => a.Status() is { BatchesSpooled: > 0, SpoolBytes: > 0 }), "both agents spooling");
        Assert.Equal(1000, SoakIndexAudit.Read(kit.IndexDb).Rows);

        var back = DateTime.UtcNow;
        await server.RestartAsync();
        await kit.WaitAllIndexedAsync();
        var caughtUp = DateTime.UtcNow - back;
        output.WriteLine($"outage {outage.TotalSeconds} s; caught up {caughtUp.TotalSeconds:0.0} s after the broker returned ({(caughtUp <= 2 * outage ? "within" : "OUTSIDE")} the 2x target); {kit.LinesWritten} lines; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
        kit.AssertExactlyOnce();
        Assert.All(agents, a => Assert.Equal(0, a.Status()!.RecordsDropped));
    }
}
