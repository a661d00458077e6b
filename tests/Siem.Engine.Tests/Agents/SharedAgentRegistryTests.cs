using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Agents;
using Siem.Engine.Pipeline;
using Siem.Nats;

namespace Siem.Engine.Tests.Agents;

/// <summary>
/// Engines with separate data dirs (two hosts) share enrolled agents through the SIEM_AGENTS bucket of a real
/// nats-server: an enrollment on one host opens batches on the other, a revocation anywhere is applied everywhere,
/// concurrent enrollments of one id with two keys have exactly one winner, and a host started with the broker down
/// runs on its agents.json and catches up when the broker is back.
/// </summary>
public sealed class SharedAgentRegistryTests() : EngineBrokerTest("siem-agent-sync-")
{
    private const int Records = 4;
    private readonly EngineKeyPair _engineKey = EngineKeyPair.Create(); // the operator shares the first engine key between hosts
    private readonly List<SharedAgentHost> _hosts = [];

    public override async Task DisposeAsync()
    {
        foreach (var host in _hosts) await host.DisposeAsync();
        await base.DisposeAsync();
    }

    private async Task<SharedAgentHost> HostAsync(string name, bool enrollment, CancellationToken ct, bool start = true, TimeSpan? reportFlushDelay = null)
    {
        var host = await SharedAgentHost.ConnectAsync(Path.Combine(Dir, name), Server.Url, _engineKey, ct);
        _hosts.Add(host);
        if (start) await host.StartAsync(enrollment, ct, reportFlushDelay);
        return host;
    }

    private async Task<(AgentIdentity Identity, EnvelopeSealer Sealer, string Subject)> EnrollAgentAsync(string agentId, CancellationToken ct)
    {
        await using var agent = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url] });
        await agent.ConnectAsync(ct);
        var stateDir = Path.Combine(Dir, "agent-" + agentId);
        var state = await AgentEnroller.EnrollAsync(agent, SharedAgentHost.Token, agentId, PipelineHarness.Tenant, stateDir, TimeSpan.FromSeconds(20), ct);
        var identity = AgentIdentity.Load(Path.Combine(stateDir, EnrollmentState.IdentityFile));
        return (identity, new EnvelopeSealer(identity, Convert.FromBase64String(state.EnginePublicKey), state.EngineKeyId), state.Subject);
    }

    private async Task PublishAsync(EnvelopeSealer sealer, string subject, string agentId, int batch, CancellationToken ct)
    {
        var env = sealer.Seal((ulong)batch, LogEventJson.EncodeBatch(SiemServeProcess.Batch(agentId, batch, Records)));
        await Js.PublishAsync(subject, env.Body, PipelineHarness.Headers(env), cancellationToken: ct);
    }

    private static bool Knows(SharedAgentHost host, string agentId, byte[] key) =>
        host.Registry.TryGet(agentId, out var r) && r.SigningPublicKey.AsSpan().SequenceEqual(key);

    private static bool Revoked(SharedAgentHost host, string agentId) => host.Registry.TryGet(agentId, out var r) && r.Revoked;

    [Fact]
    public async Task An_agent_enrolled_through_one_engine_is_opened_by_another_and_a_revocation_on_that_one_quarantines_its_next_batch_on_the_first()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = timeout.Token;
        var hostA = await HostAsync("host-a", enrollment: true, ct);
        var hostB = await HostAsync("host-b", enrollment: false, ct);
        await hostB.WaitAsync(() => hostB.Sync.Opened.IsCompletedSuccessfully, "host B's bucket open", ct);

        var (agent, sealer, subject) = await EnrollAgentAsync("web-01", ct);
        Assert.Contains("agent 'web-01' enrollment recorded in SIEM_AGENTS for every host", hostA.Log, StringComparison.Ordinal);

        // Host B never saw the enrollment request: it opens and indexes the agent's batch all the same.
        await hostB.WaitAsync(() => Knows(hostB, "web-01", agent.SigningPublicKey), "host B learning of the enrollment", ct);
        hostB.StartPipeline();
        await PublishAsync(sealer, subject, "web-01", 1, ct);
        await hostB.WaitAsync(async () => await hostB.IndexedAsync() == Records, "host B indexing the batch", ct);
        Assert.Contains("agent 'web-01' enrolled on another host (tenant t1): its batches are opened here too", hostB.Log, StringComparison.Ordinal);
        await hostB.StopPipelineAsync();

        // Revoked on host B (as its API does): host A, which enrolled the agent, quarantines the next batch.
        Assert.True(hostB.Registry.Revoke("web-01"));
        await hostA.WaitAsync(() => Revoked(hostA, "web-01"), "host A applying the revocation", ct);
        Assert.Contains("agent 'web-01' revoked on another host (SIEM_AGENTS): its batches are quarantined here from now on", hostA.Log, StringComparison.Ordinal);
        hostA.StartPipeline();
        await PublishAsync(sealer, subject, "web-01", 2, ct);
        await hostA.WaitAsync(async () => await Js.GetLastMsgForSubjectAsync(EngineStreams.Quarantine, "siem.quarantine.revoked_agent", ct) is not null, "the batch quarantined as revoked_agent", ct);
        Assert.Equal(0, await hostA.IndexedAsync());
        // The cache on disk says so too: a restart without the broker keeps the revocation.
        Assert.True(new AgentRegistry(hostA.RegistryPath).TryGet("web-01", out var cached) && cached.Revoked);
        // And enrolling the id again, through either host, is refused.
        await using var again = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url] });
        await again.ConnectAsync(ct);
        var refused = await Assert.ThrowsAsync<EnrollmentException>(() => AgentEnroller.EnrollAsync(again, SharedAgentHost.Token, "web-01", PipelineHarness.Tenant, Path.Combine(Dir, "agent-web-01"), TimeSpan.FromSeconds(20), ct));
        Assert.Equal("enrollment refused by the engine: agent 'web-01' is revoked; enroll under a new agent id", refused.Message);
    }

    [Fact]
    public async Task Of_two_engines_enrolling_one_agent_id_with_different_keys_at_once_exactly_one_wins_and_both_end_with_its_key()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = timeout.Token;
        var hostA = await HostAsync("host-a", enrollment: false, ct);
        var hostB = await HostAsync("host-b", enrollment: false, ct);
        await Task.WhenAll(hostA.Sync.Opened, hostB.Sync.Opened).WaitAsync(ct);
        var authorityA = new EnrollmentAuthority(hostA.Registry, _engineKey, [SharedAgentHost.Token]);
        var authorityB = new EnrollmentAuthority(hostB.Registry, _engineKey, [SharedAgentHost.Token]);
        for (int round = 0; round < 8; round++)
        {
            string id = $"race-{round}";
            var keyA = AgentIdentity.Create(id).SigningPublicKey;
            var keyB = AgentIdentity.Create(id).SigningPublicKey;
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            EnrollmentMessages.Response Enroll(EnrollmentAuthority authority, byte[] key) =>
                authority.Handle(new EnrollmentMessages.Request(SharedAgentHost.Token, id, "host", Convert.ToBase64String(key), PipelineHarness.Tenant));
            var a = Task.Run(async () => { await go.Task; return Enroll(authorityA, keyA); }, ct);
            var b = Task.Run(async () => { await go.Task; return Enroll(authorityB, keyB); }, ct);
            go.SetResult();
            var answerA = await a;
            var answerB = await b;

            Assert.True(answerA.Ok ^ answerB.Ok, $"round {round}: A {answerA.Ok} ({answerA.Error}), B {answerB.Ok} ({answerB.Error})");
            var loser = answerA.Ok ? answerB : answerA;
            Assert.StartsWith($"agent id '{id}' is already enrolled with a different key", loser.Error, StringComparison.Ordinal);
            var winningKey = answerA.Ok ? keyA : keyB;
            await hostA.WaitAsync(() => Knows(hostA, id, winningKey) && Knows(hostB, id, winningKey), $"both hosts holding the winner's key for {id}", ct);
        }
    }

    [Fact]
    public async Task An_engine_started_with_the_broker_down_runs_on_its_agents_json_and_catches_up_with_a_revocation_when_the_broker_is_back()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        var ct = timeout.Token;
        var hostA = await HostAsync("host-a", enrollment: false, ct);
        var hostB = await HostAsync("host-b", enrollment: false, ct);
        var agent = AgentIdentity.Create("db-01");
        await hostA.WaitAsync(() => hostA.Sync.Opened.IsCompletedSuccessfully, "host A's bucket open", ct);
        hostA.Registry.Register("db-01", agent.SigningPublicKey, PipelineHarness.Tenant);
        await hostB.WaitAsync(() => Knows(hostB, "db-01", agent.SigningPublicKey), "host B learning of the enrollment", ct);
        await hostB.StopAsync();

        // The broker goes down; host A revokes meanwhile (at once locally), host B starts again.
        Server.Kill();
        Assert.True(hostA.Registry.Revoke("db-01"));
        await hostB.StartAsync(enrollment: false, ct);
        var sealer = new EnvelopeSealer(agent, _engineKey.AgreementPublicKey, _engineKey.KeyId);
        var batch = sealer.Seal(1, LogEventJson.EncodeBatch(SiemServeProcess.Batch("db-01", 1, Records)));
        Assert.True(hostB.Open(batch).Ok); // from its cache: it has not heard of the revocation yet
        Assert.Equal(EnvelopeFailure.RevokedAgent, hostA.Open(batch).Failure);
        // Enrollment needs the other hosts' word: refused (try again) rather than risking a second key for an id.
        var claimed = Assert.Throws<IOException>(() => hostB.Registry.Register("db-02", AgentIdentity.Create("db-02").SigningPublicKey, PipelineHarness.Tenant));
        Assert.StartsWith("the shared agent registry (SIEM_AGENTS) is not reachable yet", claimed.Message, StringComparison.Ordinal);
        Assert.False(hostB.Registry.TryGet("db-02", out _));

        await Server.RestartAsync();
        await hostB.WaitAsync(() => Revoked(hostB, "db-01"), "host B catching up with the revocation", ct);
        Assert.Equal(EnvelopeFailure.RevokedAgent, hostB.Open(batch).Failure);
        Assert.True(new AgentRegistry(hostB.RegistryPath).TryGet("db-01", out var cached) && cached.Revoked);
    }

    [Fact]
    public async Task Existing_agents_json_files_are_merged_at_start_the_first_enrollment_wins_a_conflict_and_no_revocation_is_undone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = timeout.Token;
        var hostA = await HostAsync("host-a", enrollment: false, ct, start: false);
        var hostB = await HostAsync("host-b", enrollment: false, ct, start: false);
        var keyA = AgentIdentity.Create("x").SigningPublicKey;
        var keyB = AgentIdentity.Create("x").SigningPublicKey;
        var shared = AgentIdentity.Create("z").SigningPublicKey;
        // Before the hosts shared anything: both know "z" (agents.json copied by hand), then A revoked it; each enrolled "x" on its own; B alone knows "w".
        using (var a = new AgentRegistry(hostA.RegistryPath))
        {
            a.Register("z", shared, "t1");
            File.Copy(hostA.RegistryPath, hostB.RegistryPath);
            Assert.True(a.Revoke("z"));
            a.Register("x", keyA, "t1", "host-a");
        }
        using (var b = new AgentRegistry(hostB.RegistryPath))
        {
            b.Register("x", keyB, "t1", "host-b");
            b.Register("w", AgentIdentity.Create("w").SigningPublicKey, "t1");
            Assert.False(b.TryGet("z", out var z) && z.Revoked);
        }

        await hostB.StartAsync(enrollment: false, ct);
        await hostB.WaitAsync(() => hostB.Sync.Published == 3, "host B publishing its three agents", ct);
        await hostA.StartAsync(enrollment: false, ct);

        await hostA.WaitAsync(() => Revoked(hostB, "z") && Revoked(hostA, "z"), "z revoked on both hosts", ct);
        await hostA.WaitAsync(() => Knows(hostA, "x", keyB) && Knows(hostA, "w", hostB.Registry.All.Single(r => r.AgentId == "w").SigningPublicKey), "host A taking B's x and w", ct);
        Assert.True(Knows(hostB, "x", keyB));
        Assert.Contains("agent 'x' was enrolled with a different key here than in SIEM_AGENTS (there: host host-b", hostA.Log, StringComparison.Ordinal);
        Assert.Contains("the shared enrollment wins: batches signed with this host's key for it are quarantined", hostA.Log, StringComparison.Ordinal);
        Assert.True(new AgentRegistry(hostA.RegistryPath).TryGet("x", out var cachedX) && cachedX.SigningPublicKey.AsSpan().SequenceEqual(keyB));
    }

    [Fact]
    public async Task Key_reports_reach_the_other_hosts_in_one_write_per_flush_and_a_concurrent_revocation_always_wins()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = timeout.Token;
        // Reports wait for an explicit flush here (an hour's delay), so the count of writes does not depend on the machine's speed.
        var hostA = await HostAsync("host-a", enrollment: false, ct, reportFlushDelay: TimeSpan.FromHours(1));
        var hostB = await HostAsync("host-b", enrollment: false, ct);
        await Task.WhenAll(hostA.Sync.Opened, hostB.Sync.Opened).WaitAsync(ct);
        var start = DateTimeOffset.UtcNow;
        for (int i = 0; i < 6; i++) hostA.Registry.Register($"r-{i}", AgentIdentity.Create($"r-{i}").SigningPublicKey, "t1");
        await hostB.WaitAsync(() => hostB.Registry.All.Count == 6, "host B knowing the six agents", ct);
        long before = hostA.Sync.Published;

        // 50 reports per agent, each a change (its spooled keys come and go), as an agent switching keys reports them.
        for (int i = 0; i < 300; i++) hostA.Registry.ReportEngineKeys($"r-{i % 6}", "key-new", i / 6 % 2 == 0 ? ["key-old"] : [], start.AddMilliseconds(i));
        hostA.Registry.Flush();
        await hostB.WaitAsync(() => hostB.Registry.All.All(r => r.EngineKeyId == "key-new" && r.PendingEngineKeyIds is [] && r.EngineKeyReportedAt >= start.AddMilliseconds(294)), "host B seeing every agent's last report", ct);
        Assert.Equal(before + 6, hostA.Sync.Published); // 300 reports, 6 agents: one write each

        // Seeded races: a revocation on B against a report flushed on A at the same moment. The revocation survives.
        var random = new Random(11);
        for (int i = 0; i < 6; i++)
        {
            string id = $"r-{i}";
            var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var report = Task.Run(async () =>
            {
                await go.Task;
                hostA.Registry.ReportEngineKeys(id, "key-next", [], start.AddSeconds(10 + random.Next(100)));
                hostA.Registry.Flush();
            }, ct);
            var revoke = Task.Run(async () => { await go.Task; return hostB.Registry.Revoke(id); }, ct);
            go.SetResult();
            await report;
            Assert.True(await revoke);
            await hostA.WaitAsync(() => Revoked(hostA, id) && Revoked(hostB, id) && hostB.Registry.TryGet(id, out var r) && r.EngineKeyId == "key-next",
                $"{id} revoked on both hosts with the last report", ct);
        }
        Assert.DoesNotContain("kept conflicting", hostA.Log + hostB.Log, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_first_batch_that_arrives_before_the_watch_delivered_the_enrollment_is_opened_after_one_look_at_the_bucket()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var ct = timeout.Token;
        var hostA = await HostAsync("host-a", enrollment: true, ct);
        // Host B does not watch: it can only learn of the agent by asking when the batch names it.
        var hostB = await HostAsync("host-b", enrollment: false, ct, start: false);
        await hostB.StartAsync(enrollment: false, ct, watch: false);
        await hostB.Sync.Opened.WaitAsync(ct);
        var (agent, sealer, _) = await EnrollAgentAsync("fresh-01", ct);
        var batch = sealer.Seal(1, LogEventJson.EncodeBatch(SiemServeProcess.Batch("fresh-01", 1, Records)));

        Assert.True(hostB.Open(batch).Ok);
        Assert.Equal(1, hostB.Sync.Lookups);
        Assert.Contains("agent 'fresh-01' found in SIEM_AGENTS before the watch delivered it", hostB.Log, StringComparison.Ordinal);
        Assert.True(new AgentRegistry(hostB.RegistryPath).TryGet("fresh-01", out var cached) && cached.SigningPublicKey.AsSpan().SequenceEqual(agent.SigningPublicKey));

        // A stranger's batches cost one look, not one per batch.
        var stranger = new EnvelopeSealer(AgentIdentity.Create("stranger"), _engineKey.AgreementPublicKey, _engineKey.KeyId);
        for (ulong seq = 1; seq <= 5; seq++)
            Assert.Equal(EnvelopeFailure.UnknownAgent, hostB.Open(stranger.Seal(seq, LogEventJson.EncodeBatch(SiemServeProcess.Batch("stranger", (int)seq, 1)))).Failure);
        Assert.Equal(2, hostB.Sync.Lookups);
    }

    [Fact]
    public async Task The_bucket_holds_public_keys_only()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var ct = timeout.Token;
        var host = await HostAsync("host-a", enrollment: false, ct);
        await host.Sync.Opened.WaitAsync(ct);
        var agent = AgentIdentity.Create("pk-01");
        host.Registry.Register("pk-01", agent.SigningPublicKey, "t1", "web1");
        var bucket = await Js.GetKeyValueAsync(AgentRegistrySync.Bucket, ct);
        var entry = await bucket.GetAsync("pk-01", ct);
        Assert.NotNull(entry);
        var json = System.Text.Encoding.UTF8.GetString(entry.Value.Span);
        Assert.Contains($"\"signing_public_key\":\"{Convert.ToBase64String(agent.SigningPublicKey)}\"", json, StringComparison.Ordinal);
        Assert.DoesNotContain("private", json, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("seed", json, StringComparison.OrdinalIgnoreCase);
        Assert.True(AgentRecordMerge.SameContent(host.Registry.All.Single(), AgentRegistry.DecodeShared(entry.Value.Span)));
    }
}
