using NodaTime;

namespace Siem.Engine.Tests.ScaleOut;

/// <summary>
/// Windows decided when they close (upper bounds, averages) close in their partition when event time passes, although
/// no later match reaches that partition: the engines' watermark ticks carry event time to every partition.
/// </summary>
public sealed class PartitionWatermarkTests
{
    private const string FewFailures = "5b0c7a0e-1c1e-4d7e-9a55-3f3d7f0f8a01";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    private const string FewFailuresRule = """
        title: Fewer Than Three SSH Failures From One Source In A Minute
        id: 5b0c7a0e-1c1e-4d7e-9a55-3f3d7f0f8a01
        status: experimental
        correlation:
            type: event_count
            rules:
                - ssh_probe_failed_login
            group-by:
                - source.ip
            timespan: 1m
            condition:
                lt: 3
        level: low
        ---
        title: SSH Failed Login (probe)
        name: ssh_probe_failed_login
        status: experimental
        logsource:
            product: linux
            service: sshd
        detection:
            selection:
                event.action: ssh_login
                event.outcome: failure
            condition: selection
        level: informational
        """;

    [Fact]
    public async Task An_upper_bound_window_closes_when_another_engine_sees_event_time_pass_without_a_later_match_in_its_partition()
    {
        await using var f = await ScaleOutFixture.StartAsync();
        string rule = Path.Combine(f.Dir, "few_failures.yml");
        await File.WriteAllTextAsync(rule, FewFailuresRule);
        var a = await f.StartEngineAsync(0, [rule]);
        var b = await f.StartEngineAsync(1, [rule]);
        await f.WaitBalancedAsync(a, b);

        // Two failures through engine 1: fewer than three, but the minute is still open.
        await f.ShipAsync(0, ScaleOutFixture.Logins(f.Agents[0].AgentId, "a", Start, 0, 2, ip: "198.51.100.7"));
        await f.WaitDrainedAsync(a);
        // An hour later engine 2 sees a successful login: no correlation counts it, so nothing is routed to the window's partition.
        await f.ShipAsync(1, ScaleOutFixture.Logins(f.Agents[1].AgentId, "b", Start + Duration.FromHours(1), 0, 1, outcome: "success", ip: "192.0.2.44"));
        await f.WaitDrainedAsync(b);
        await f.WaitUntilAsync(() => Task.FromResult(a.RaisedAlerts.Count + b.RaisedAlerts.Count > 0 && b.Partitions.WatermarkTicks > 0),
            "the upper-bound alert once event time passed the window");

        var alert = Assert.Single(await f.AlertsAsync(FewFailures));
        Assert.Equal(2, alert.Count);
        Assert.Equal("198.51.100.7", alert.GroupBy["source.ip"]);
        Assert.Equal(["a00", "a01"], alert.RecordIds.Order(StringComparer.Ordinal));
        Assert.Equal(2, a.Partitions.Router.Published + b.Partitions.Router.Published); // ticks are not contributions
    }
}
