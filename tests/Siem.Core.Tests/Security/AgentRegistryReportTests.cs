using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

/// <summary>Agents' engine key reports are coalesced into one write of agents.json instead of one write per agent.</summary>
public sealed class AgentRegistryReportTests : IDisposable
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 15, 0, 0, TimeSpan.Zero);
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-registry-reports-").FullName;
    private string PathOf => Path.Combine(_dir, "agents.json");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static AgentRegistry WithAgents(AgentRegistry registry, int count)
    {
        for (int i = 0; i < count; i++) registry.Register($"agent-{i:D4}", AgentIdentity.Create($"agent-{i:D4}").SigningPublicKey, "acme", engineKeyId: "k-old");
        return registry;
    }

    [Fact]
    public void Reports_from_hundreds_of_agents_are_written_in_one_rewrite_and_seen_at_once_by_this_instance()
    {
        using var registry = WithAgents(new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1)), 300);
        var writesAfterEnrollment = registry.FileWrites;
        var fileBefore = File.ReadAllBytes(PathOf);

        for (int i = 0; i < 300; i++) Assert.True(registry.ReportEngineKeys($"agent-{i:D4}", "k-new", ["k-old"], At));

        Assert.Equal(writesAfterEnrollment, registry.FileWrites);
        Assert.Equal(fileBefore, File.ReadAllBytes(PathOf));
        Assert.Equal(300, registry.PendingReports);
        Assert.True(registry.TryGet("agent-0123", out var seen));
        Assert.Equal("k-new", seen.EngineKeyId);
        Assert.Equal(["k-old"], seen.PendingEngineKeyIds);
        Assert.All(registry.All, a => Assert.Equal("k-new", a.EngineKeyId));

        registry.Flush();

        Assert.Equal(writesAfterEnrollment + 1, registry.FileWrites);
        Assert.Equal(0, registry.PendingReports);
        var reread = new AgentRegistry(PathOf).All;
        Assert.Equal(300, reread.Count);
        Assert.All(reread, a => Assert.Equal(("k-new", "k-old", At), (a.EngineKeyId, Assert.Single(a.PendingEngineKeyIds!), a.EngineKeyReportedAt)));
    }

    [Fact]
    public void A_report_that_changes_nothing_or_is_older_than_the_recorded_one_is_not_written()
    {
        using var registry = WithAgents(new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1)), 1);
        Assert.True(registry.ReportEngineKeys("agent-0000", "k-new", [], At));
        registry.Flush();
        var writes = registry.FileWrites;

        Assert.True(registry.ReportEngineKeys("agent-0000", "k-new", ["k-new"], At.AddMinutes(5))); // the same keys again
        Assert.True(registry.ReportEngineKeys("agent-0000", "k-old", [], At.AddMinutes(-5)));        // a late, older report
        Assert.False(registry.ReportEngineKeys("nobody", "k-new", [], At));

        Assert.Equal(0, registry.PendingReports);
        registry.Flush();
        Assert.Equal(writes, registry.FileWrites);
        Assert.True(registry.TryGet("agent-0000", out var record));
        Assert.Equal(("k-new", At), (record.EngineKeyId, record.EngineKeyReportedAt));
    }

    [Fact]
    public void Waiting_reports_are_written_by_themselves_when_the_flush_delay_is_up()
    {
        var clock = new ManualTimers();
        using var registry = WithAgents(new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromSeconds(1), clock: clock), 2);
        var writes = registry.FileWrites;

        registry.ReportEngineKeys("agent-0000", "k-new", [], At);
        registry.ReportEngineKeys("agent-0001", "k-new", [], At);

        var timer = Assert.Single(clock.Timers); // one flush for both reports
        Assert.Equal(TimeSpan.FromSeconds(1), timer.DueTime);
        Assert.Equal(writes, registry.FileWrites);
        timer.Fire();
        Assert.Equal((writes + 1, 0), (registry.FileWrites, registry.PendingReports));
        Assert.All(new AgentRegistry(PathOf).All, a => Assert.Equal("k-new", a.EngineKeyId));

        // The next report schedules the next flush.
        registry.ReportEngineKeys("agent-0000", "k-next", [], At.AddMinutes(5));
        Assert.Equal(2, clock.Timers.Count);
        clock.Timers[1].Fire();
        Assert.Equal(writes + 2, registry.FileWrites);
    }

    /// <summary>Timers the test fires itself: no waiting on the wall clock.</summary>
    private sealed class ManualTimers : TimeProvider
    {
        public List<ManualTimer> Timers { get; } = [];

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(() => callback(state), dueTime);
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class ManualTimer(Action fire, TimeSpan dueTime) : ITimer
    {
        public TimeSpan DueTime => dueTime;

        public void Fire() => fire();

        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    [Fact]
    public void Waiting_reports_are_written_with_the_next_enrollment_and_merged_with_another_processes_changes()
    {
        var engine = WithAgents(new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1)), 2);
        engine.ReportEngineKeys("agent-0000", "k-new", [], At);
        // Another process (the API, another engine) revokes one agent and enrolls another meanwhile.
        var api = new AgentRegistry(PathOf);
        Assert.True(api.Revoke("agent-0001"));
        api.Register("agent-0002", AgentIdentity.Create("agent-0002").SigningPublicKey, "acme");
        var writes = engine.FileWrites;

        engine.Register("agent-0003", AgentIdentity.Create("agent-0003").SigningPublicKey, "acme");

        Assert.Equal(writes + 1, engine.FileWrites);
        Assert.Equal(0, engine.PendingReports);
        var reread = new AgentRegistry(PathOf).All.ToDictionary(a => a.AgentId);
        Assert.Equal(["agent-0000", "agent-0001", "agent-0002", "agent-0003"], reread.Keys);
        Assert.Equal("k-new", reread["agent-0000"].EngineKeyId);
        Assert.True(reread["agent-0001"].Revoked);
        engine.Dispose();
    }

    [Fact]
    public void Disposing_writes_the_waiting_reports_so_a_clean_shutdown_loses_none()
    {
        var registry = WithAgents(new AgentRegistry(PathOf, reportFlushDelay: TimeSpan.FromHours(1)), 3);
        foreach (var id in new[] { "agent-0000", "agent-0002" }) registry.ReportEngineKeys(id, "k-new", ["k-old"], At);

        registry.Dispose();

        var reread = new AgentRegistry(PathOf).All;
        Assert.Equal(["k-new", "k-old", "k-new"], reread.Select(a => a.EngineKeyId));
    }
}
