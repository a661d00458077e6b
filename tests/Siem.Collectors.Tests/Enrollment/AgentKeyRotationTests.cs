using Siem.Collectors.Agent;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Tests.Agent;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Control;
using Siem.Engine.Enrollment;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Collectors.Tests.Enrollment;

/// <summary>
/// Keys that change under a running agent, against a real nats-server with the engine's key responder in-process: the
/// agent learns a rotated engine key over NATS and switches, and <c>siem-agent rotate-key</c> (the real executable)
/// replaces its identity key while it runs.
/// </summary>
public sealed class AgentKeyRotationTests : IAsyncLifetime
{
    private AgentTestKit _kit = null!;
    private EngineKeyService _engine = null!;
    private LiveEngineKeys _keys = null!;

    /// <summary>The agent's replaced identity key verifies this long; short, so the test can see it expire.</summary>
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    public async Task InitializeAsync()
    {
        _kit = await AgentTestKit.StartAsync();
        _engine = await EngineKeyService.StartAsync(_kit, Grace);
        _keys = _engine.Keys;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _kit.DisposeAsync();
    }

    private AgentHost StartAgent() =>
        AgentHost.Start(_kit.Options() with { KeyCheckInterval = TimeSpan.FromMilliseconds(300) }, [_kit.FileSource()]);

    private Task<List<(string KeyId, EnvelopeOpenResult Opened)>> ReadStreamAsync(TimeProvider? clock = null) => _engine.ReadStreamAsync(clock);

    [Fact]
    public async Task A_running_agent_switches_to_a_rotated_engine_key_and_reports_it_so_the_old_key_can_be_retired()
    {
        var first = _keys.Ring.Current.KeyId;
        await using (var agent = StartAgent())
        {
            _kit.AppendLines(0, 100);
            await AgentTestKit.WaitUntilAsync(() => agent.Metrics.RecordsShipped == 100 && _kit.Registry.TryGet(AgentTestKit.AgentId, out var r) && r.EngineKeyId == first, "first lines shipped and the key reported");

            _keys.Ring.Rotate();
            Assert.True(_keys.Refresh());
            var second = _keys.Ring.Current.KeyId;

            // The agent switches at its next check, then reports the new key with nothing pending under the old one.
            await AgentTestKit.WaitUntilAsync(() => _kit.Registry.TryGet(AgentTestKit.AgentId, out var r) && r.EngineKeyId == second && r.PendingEngineKeyIds is { Count: 0 }, "the agent reported the new key");
            _kit.AppendLines(100, 100);
            await AgentTestKit.WaitUntilAsync(() => agent.Metrics.RecordsShipped == 200, "all lines shipped");
            Assert.Equal(second, agent.Enrollment.EngineKeyId);
            Assert.Equal(second, agent.Snapshot().EngineKeyId);
            Assert.Null(agent.KeyProblem);
        }

        var messages = await ReadStreamAsync();
        Assert.All(messages, m => Assert.True(m.Opened.Ok, m.Opened.Detail));
        var keyIds = messages.Select(m => m.KeyId).ToList();
        Assert.Equal(first, keyIds[0]);
        Assert.Equal(_keys.Ring.Current.KeyId, keyIds[^1]);
        // One switch, never back: batches are sealed in sequence order and every one after the switch uses the new key.
        Assert.Equal(1, keyIds.Zip(keyIds.Skip(1)).Count(p => p.First != p.Second));
        Assert.Equal(200, messages.Sum(m => LogEventJsonCount(m.Opened)));
        var saved = EnrollmentState.Load(_kit.StateDir);
        Assert.Equal(_keys.Ring.Current.KeyId, saved.EngineKeyId);
        Assert.Equal(SecureFileMode, File.GetUnixFileMode(Path.Combine(_kit.StateDir, EnrollmentState.StateFile)));
        Assert.Contains(_kit.Log, l => l.StartsWith($"engine key rotated: sealing new batches to {_keys.Ring.Current.KeyId} (was {first}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_forged_key_announcement_is_not_accepted_and_a_retired_key_is_reported_to_the_agent()
    {
        var state = EnrollmentState.Load(_kit.StateDir);
        var identity = AgentIdentity.Load(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await using var agentConnection = new NatsConnection(NatsOpts.Default with { Servers = [_kit.Server.Url] });
        await agentConnection.ConnectAsync(timeout.Token);

        // The agent trusts a different key than the engine holds (as if an impostor had answered its enrollment): the proof fails.
        var impostor = EngineKeyPair.Create();
        var forged = await Assert.ThrowsAsync<EnrollmentException>(() => EngineKeyClient.CheckAsync(agentConnection, identity,
            state with { EngineKeyId = _keys.Ring.Current.KeyId, EnginePublicKey = Convert.ToBase64String(impostor.AgreementPublicKey) }, [], TimeSpan.FromSeconds(5), timeout.Token));
        Assert.Equal("unproved", forged.Code);

        // The key the agent seals to was retired (forced) before it switched: only a new enrollment helps, and it is told so.
        var old = _keys.Ring.Current.KeyId;
        _keys.Ring.Rotate().Retire(old);
        _keys.Refresh();
        var retired = await Assert.ThrowsAsync<EnrollmentException>(() => EngineKeyClient.CheckAsync(agentConnection, identity, state, [], TimeSpan.FromSeconds(5), timeout.Token));
        Assert.Equal(AgentKeyMessages.Codes.KeyRetired, retired.Code);
        Assert.Contains($"engine key '{old}' is retired", retired.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Rotate_key_registers_a_new_identity_the_running_agent_signs_with_it_and_old_key_batches_fail_after_the_grace_period()
    {
        var oldIdentity = AgentIdentity.Load(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile));
        await using (var agent = StartAgent())
        {
            _kit.AppendLines(0, 50);
            await AgentTestKit.WaitUntilAsync(() => agent.Metrics.RecordsShipped == 50, "lines before the rotation shipped");

            var (exit, stdout, stderr) = await AgentProcess.RunAsync("rotate-key", "--state", _kit.StateDir, "--server", _kit.Server.Url);

            Assert.True(exit == 0, stderr);
            var newIdentity = AgentIdentity.Load(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile));
            Assert.NotEqual(oldIdentity.SigningPublicKey, newIdentity.SigningPublicKey);
            Assert.Contains($"identity key {IdentityRotation.Fingerprint(newIdentity.SigningPublicKey)} registered (replaces {IdentityRotation.Fingerprint(oldIdentity.SigningPublicKey)})", stdout, StringComparison.Ordinal);
            Assert.Equal(SecureFileMode, File.GetUnixFileMode(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile)));
            Assert.False(File.Exists(Path.Combine(_kit.StateDir, EnrollmentState.NextIdentityFile)));
            Assert.True(_kit.Registry.TryGet(AgentTestKit.AgentId, out var record));
            Assert.Equal(newIdentity.SigningPublicKey, record.SigningPublicKey);
            Assert.Equal(oldIdentity.SigningPublicKey, record.PreviousSigningPublicKey);

            await AgentTestKit.WaitUntilAsync(() => { lock (_kit.Log) return _kit.Log.Any(l => l.StartsWith("identity key rotated", StringComparison.Ordinal)); }, "the running agent loaded the new identity");
            _kit.AppendLines(50, 50);
            await AgentTestKit.WaitUntilAsync(() => agent.Metrics.RecordsShipped == 100, "lines after the rotation shipped");
        }

        // Past the grace period: batches signed with the new key open, those signed with the old key are refused (the engine quarantines them).
        Assert.True(_kit.Registry.TryGet(AgentTestKit.AgentId, out var rotated));
        var afterGrace = new EngineKeyService.FixedClock(rotated.PreviousKeyValidUntil!.Value + TimeSpan.FromSeconds(1));
        var messages = await ReadStreamAsync(afterGrace);
        var opened = messages.Where(m => m.Opened.Ok).ToList();
        var refused = messages.Where(m => !m.Opened.Ok).ToList();
        Assert.Equal(50, opened.Sum(m => LogEventJsonCount(m.Opened)));
        Assert.NotEmpty(refused);
        Assert.All(refused, m => Assert.Equal(EnvelopeFailure.BadSignature, m.Opened.Failure));
        Assert.All(refused, m => Assert.Contains("replaced identity key, accepted only until", m.Opened.Detail, StringComparison.Ordinal));
        // Within the grace period every batch opens.
        var withinGrace = await ReadStreamAsync(new EngineKeyService.FixedClock(rotated.PreviousKeyValidUntil!.Value - TimeSpan.FromMilliseconds(1)));
        Assert.All(withinGrace, m => Assert.True(m.Opened.Ok, m.Opened.Detail));
    }

    private const UnixFileMode SecureFileMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    private static int LogEventJsonCount(EnvelopeOpenResult opened) => opened.Ok ? Siem.Core.Events.LogEventJson.DecodeBatch(opened.Plaintext!).Count : 0;
}
