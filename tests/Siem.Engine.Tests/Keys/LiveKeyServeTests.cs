using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Pipeline;
using Siem.Host.Commands;
using Siem.Nats;

namespace Siem.Engine.Tests.Keys;

/// <summary>
/// Key changes reach a running <c>siem serve</c> process (a real child process, real nats-server) without a restart:
/// an engine key rotation and retirement made by <c>siem keys</c> on its data dir, and an agent identity rotation
/// answered by the engine itself.
/// </summary>
public sealed class LiveKeyServeTests() : EngineBrokerTest("siem-live-keys-")
{
    private const int Records = 5;
    private string Data => Path.Combine(Dir, "data");
    private string AgentState => Path.Combine(Dir, "agent");

    private async Task PublishAsync(EnvelopeSealer sealer, int batch, CancellationToken ct)
    {
        var env = sealer.Seal((ulong)batch, LogEventJson.EncodeBatch(SiemServeProcess.Batch("agent-1", batch, Records)));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.agent-1", env.Body, PipelineHarness.Headers(env), cancellationToken: ct);
    }

    private static async Task WaitAsync(Func<Task<bool>> condition, SiemServeProcess engine, string what, CancellationToken ct)
    {
        while (!await Guarded())
        {
            if (engine.HasExited) throw new InvalidOperationException($"siem serve exited while waiting for {what}:\n{engine.Stderr}");
            if (ct.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}:\n{engine.Stderr}");
            await Task.Delay(50, CancellationToken.None);
        }

        async Task<bool> Guarded()
        {
            try
            {
                return await condition();
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                throw new TimeoutException($"timed out waiting for {what}:\n{engine.Stderr}");
            }
        }
    }

    /// <summary>The engine key agent-1 seals to, as the engine's agents.json says.</summary>
    private string? ReportedKey() => new AgentRegistry(Path.Combine(Data, "engine", "agents.json")).TryGet("agent-1", out var r) ? r.EngineKeyId : null;

    private Task<bool> IndexedAsync(long rows) => Task.FromResult(SiemServeProcess.CountIndex(Data).Rows == rows);

    private async Task<bool> QuarantinedAsync(string reason, CancellationToken ct) =>
        await Js.GetLastMsgForSubjectAsync(EngineStreams.Quarantine, $"siem.quarantine.{reason}", ct) is not null;

    /// <summary>The agent's side as enrollment leaves it: identity.json and enrollment.json for agent-1 sealing to the data dir's key.</summary>
    private EnrollmentState EnrollAgentState(AgentIdentity agent)
    {
        agent.Save(Path.Combine(AgentState, EnrollmentState.IdentityFile));
        var key = EngineKeyRing.Open(Data, out _).Current;
        var state = new EnrollmentState(agent.AgentId, PipelineHarness.Tenant, key.KeyId, Convert.ToBase64String(key.AgreementPublicKey), $"siem.events.{PipelineHarness.Tenant}.{agent.AgentId}");
        state.Save(AgentState);
        return state;
    }

    [Fact]
    public async Task A_running_engine_opens_batches_sealed_to_a_rotated_key_serves_it_to_agents_and_quarantines_a_retired_key_without_a_restart()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (config, oldSealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url);
        var state = EnrollAgentState(agent);
        var first = state.EngineKeyId;
        await using var engine = SiemServeProcess.Start(config);
        await PublishAsync(oldSealer, 1, timeout.Token);
        await WaitAsync(() => IndexedAsync(Records), engine, "the first batch indexed", timeout.Token);

        Assert.Equal(0, await KeysCommand.RunAsync(Data, Js, TextWriter.Null, TextWriter.Null, "rotate", null, cancellationToken: timeout.Token));
        var second = EngineKeyRing.Open(Data, out _).Current;

        // The agent asks the running engine (over NATS) until the engine has picked up the rotation; the answer is proved by the old key.
        await using var agentConnection = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url] });
        await agentConnection.ConnectAsync(timeout.Token);
        (string KeyId, byte[] PublicKey) announced = default;
        await WaitAsync(async () => (announced = await EngineKeyClient.CheckAsync(agentConnection, agent, state, [], TimeSpan.FromSeconds(5), timeout.Token)).KeyId == second.KeyId,
            engine, "the engine announcing the rotated key", timeout.Token);
        Assert.Equal(second.AgreementPublicKey, announced.PublicKey);

        var newSealer = new EnvelopeSealer(agent, second.AgreementPublicKey, second.KeyId); // what the agent was announced (asserted above)
        await PublishAsync(newSealer, 2, timeout.Token);
        await PublishAsync(oldSealer, 3, timeout.Token); // spooled before the switch: the old key still opens it
        await WaitAsync(() => IndexedAsync(3 * Records), engine, "batches under both keys indexed", timeout.Token);

        // The registry says the agent (last report, written by the engine within a second) still seals to the old key: retire refuses and says who.
        await WaitAsync(() => Task.FromResult(ReportedKey() == first), engine, "the engine writing the agent's report", timeout.Token);
        var stderr = new StringWriter();
        Assert.Equal(1, await KeysCommand.RunAsync(Data, Js, TextWriter.Null, stderr, "retire", first, cancellationToken: timeout.Token));
        Assert.Contains($"refusing: 1 agent(s) may still send batches sealed to {first}: agent-1 (seals to it)", stderr.ToString(), StringComparison.Ordinal);
        // The agent reports that it switched, with nothing spooled under the old key: now retire goes through, and `list` shows it.
        await EngineKeyClient.CheckAsync(agentConnection, agent, state with { EngineKeyId = second.KeyId, EnginePublicKey = Convert.ToBase64String(second.AgreementPublicKey) }, [], TimeSpan.FromSeconds(5), timeout.Token);
        // The engine writes agents' key reports coalesced, within a second; and its acks empty the work-queue stream.
        await WaitAsync(() => Task.FromResult(ReportedKey() == second.KeyId), engine, "the engine writing the agent's report", timeout.Token);
        await WaitAsync(async () => (await Js.GetStreamAsync(EngineStreams.Events, timeout.Token)).State.Messages == 0, engine, "the engine acking every batch", timeout.Token);
        var list = new StringWriter();
        Assert.Equal(0, await KeysCommand.RunAsync(Data, Js, list, TextWriter.Null, "retire", first, cancellationToken: timeout.Token));
        Assert.Equal($"{second.KeyId}  current   created {second.CreatedAt:u}  1 agent(s) sealing to it, 0 with spooled batches", list.ToString().TrimEnd());

        // Without a restart, the running engine no longer opens the retired key (it checks the key files every 2 s).
        await WaitAsync(() => Task.FromResult(engine.Stderr.Contains($"retired: {first}", StringComparison.Ordinal)), engine, "the engine applying the retirement", timeout.Token);
        await PublishAsync(oldSealer, 4, timeout.Token);
        await WaitAsync(() => QuarantinedAsync("unknown_key", timeout.Token), engine, "the old-key batch quarantined", timeout.Token);
        await PublishAsync(newSealer, 5, timeout.Token);
        await WaitAsync(() => IndexedAsync(4 * Records), engine, "a new-key batch indexed after the retirement", timeout.Token);
        Assert.Contains($"engine keys changed: {second.KeyId} is current (was {first})", engine.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_identity_rotation_answered_by_the_running_engine_is_applied_at_once_and_the_old_key_is_quarantined_after_the_grace_period()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (config, oldSealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url, "enrollment:\n  agent_key_grace_s: 1\n");
        var state = EnrollAgentState(agent);
        await using var engine = SiemServeProcess.Start(config);
        await PublishAsync(oldSealer, 1, timeout.Token);
        await WaitAsync(() => IndexedAsync(Records), engine, "a batch signed with the first key indexed", timeout.Token);

        await using var agentConnection = new NatsConnection(NatsOpts.Default with { Servers = [Server.Url], InboxPrefix = EnrollmentMessages.AgentInboxPrefix(state.Tenant, state.AgentId) });
        await agentConnection.ConnectAsync(timeout.Token);
        var rotated = await IdentityRotation.RotateAsync(agentConnection, AgentState, cancellationToken: timeout.Token);

        var newIdentity = AgentIdentity.Load(Path.Combine(AgentState, EnrollmentState.IdentityFile));
        Assert.Equal(IdentityRotation.Fingerprint(newIdentity.SigningPublicKey), rotated.NewFingerprint);
        Assert.True(new AgentRegistry(Path.Combine(Data, "engine", "agents.json")).TryGet("agent-1", out var record));
        Assert.Equal(newIdentity.SigningPublicKey, record.SigningPublicKey);
        Assert.Equal(rotated.OldKeyValidUntil, record.PreviousKeyValidUntil);

        // The engine that registered the key verifies with it at once.
        var newSealer = new EnvelopeSealer(newIdentity, EngineKeyRing.Open(Data, out _).Current.AgreementPublicKey, state.EngineKeyId);
        await PublishAsync(newSealer, 2, timeout.Token);
        await WaitAsync(() => IndexedAsync(2 * Records), engine, "a batch signed with the new key indexed", timeout.Token);

        // After the grace period a batch signed with the replaced key is quarantined.
        while (DateTimeOffset.UtcNow <= record.PreviousKeyValidUntil) await Task.Delay(100, timeout.Token);
        await PublishAsync(oldSealer, 3, timeout.Token);
        await WaitAsync(() => QuarantinedAsync("bad_signature", timeout.Token), engine, "the old-key batch quarantined", timeout.Token);
        Assert.Equal(2 * Records, SiemServeProcess.CountIndex(Data).Rows);
        Assert.Contains("agent 'agent-1' rotated its identity key", engine.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotation_on_one_host_reaches_a_running_engine_with_its_own_data_dir_which_then_opens_the_new_key_alone()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        var hostA = Path.Combine(Dir, "host-a");
        var hostB = Path.Combine(Dir, "host-b");
        var (configA, _, agent) = SiemServeProcess.Prepare(hostA, Server.Url);
        var (configB, _, _) = SiemServeProcess.Prepare(hostB, Server.Url);
        // The operator's one-time step: host B gets host A's first key. The agent registry comes through SIEM_AGENTS (host A publishes its agents.json at start).
        File.Copy(Path.Combine(hostA, "data", "engine", "engine-key.json"), Path.Combine(hostB, "data", "engine", "engine-key.json"), overwrite: true);
        File.Delete(Path.Combine(hostB, "data", "engine", "agents.json"));
        await using var engineA = SiemServeProcess.Start(configA);
        await using var engineB = SiemServeProcess.Start(configB);
        await WaitAsync(() => Task.FromResult(engineB.Stderr.Contains("consuming SIEM_EVENTS", StringComparison.Ordinal)), engineB, "host B's engine consuming", timeout.Token);
        await WaitAsync(() => Task.FromResult(engineB.Stderr.Contains("agent 'agent-1' enrolled on another host (tenant t1)", StringComparison.Ordinal)), engineB, "host B learning of agent-1 from SIEM_AGENTS", timeout.Token);

        Assert.Equal(0, await KeysCommand.RunAsync(Path.Combine(hostA, "data"), null, TextWriter.Null, TextWriter.Null, "rotate", null, cancellationToken: timeout.Token));
        var rotated = EngineKeyRing.Open(Path.Combine(hostA, "data"), out _).Current;
        await WaitAsync(() => Task.FromResult(engineB.Stderr.Contains($"engine key {rotated.KeyId} taken up from another engine", StringComparison.Ordinal)), engineB, "host B taking up the rotation", timeout.Token);

        // Host A goes away: a batch sealed to the new key is opened and indexed by host B alone, never quarantined.
        Assert.Equal(0, await engineA.TerminateAsync(timeout.Token));
        var env = new EnvelopeSealer(agent, rotated.AgreementPublicKey, rotated.KeyId).Seal(1, LogEventJson.EncodeBatch(SiemServeProcess.Batch("agent-1", 1, Records)));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.agent-1", env.Body, PipelineHarness.Headers(env), cancellationToken: timeout.Token);
        await WaitAsync(() => Task.FromResult(SiemServeProcess.CountIndex(Path.Combine(hostB, "data")).Rows == Records), engineB, "host B indexing the batch sealed to the new key", timeout.Token);
        Assert.Null(await Js.GetLastMsgForSubjectAsync(EngineStreams.Quarantine, "siem.quarantine.unknown_key", timeout.Token));
        Assert.Equal(rotated.KeyId, EngineKeyRing.Open(Path.Combine(hostB, "data"), out _).Current.KeyId);
    }
}
