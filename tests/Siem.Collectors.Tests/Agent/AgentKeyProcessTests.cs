using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Control;

namespace Siem.Collectors.Tests.Agent;

/// <summary>
/// Keys that change under the running agent executable (./test.sh runs this class once more against the Native AOT
/// binary through SIEM_AGENT_EXE): its engine key check over NATS follows a rotation on the engine's key ring, and
/// <c>siem-agent rotate-key</c> replaces the identity key the running process signs with. The engine side (key ring,
/// key responder, registry) runs in the test against a real nats-server.
/// </summary>
public sealed class AgentKeyProcessTests : IAsyncLifetime
{
    private AgentTestKit _kit = null!;
    private EngineKeyService _engine = null!;
    private LiveEngineKeys _keys = null!;

    public async Task InitializeAsync()
    {
        _kit = await AgentTestKit.StartAsync();
        _engine = await EngineKeyService.StartAsync(_kit, grace: TimeSpan.FromDays(1));
        _keys = _engine.Keys;
    }

    public async Task DisposeAsync()
    {
        await _engine.DisposeAsync();
        await _kit.DisposeAsync();
    }

    [Fact]
    public async Task The_running_executable_seals_to_a_rotated_engine_key_and_signs_with_the_identity_key_rotate_key_registered()
    {
        var config = Path.Combine(_kit.Dir, "agent.yml");
        File.WriteAllText(config, $"""
            agent:
              state_dir: {_kit.StateDir}
              key_check_interval_s: 1
            servers:
              urls: [{_kit.Server.Url}]
            sources:
              - type: file
                name: auth
                paths: [{_kit.LogPath}]
            batch:
              linger_ms: 20
            status_interval_ms: 50
            """);
        var firstKey = _keys.Ring.Current.KeyId;
        var oldIdentity = AgentIdentity.Load(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile));
        var output = new List<string>();
        var agent = AgentProcess.Start(config, output);
        try
        {
            _kit.AppendLines(0, 40);
            await WaitAsync(agent, output, () => Shipped() == 40 && ReportedKey() == firstKey, "40 lines shipped and the first engine key reported");

            _keys.Ring.Rotate();
            Assert.True(_keys.Refresh());
            var secondKey = _keys.Ring.Current.KeyId;
            await WaitAsync(agent, output, () => ReportedKey() == secondKey, "the agent reported the rotated engine key");
            _kit.AppendLines(40, 40);
            await WaitAsync(agent, output, () => Shipped() == 80, "40 more lines shipped");

            var (exit, stdout, stderr) = await AgentProcess.RunAsync("rotate-key", "--state", _kit.StateDir, "--config", config);
            Assert.True(exit == 0, $"rotate-key exited {exit}: {stdout}{stderr}");
            var newIdentity = AgentIdentity.Load(Path.Combine(_kit.StateDir, EnrollmentState.IdentityFile));
            Assert.Contains($"identity key {IdentityRotation.Fingerprint(newIdentity.SigningPublicKey)} registered (replaces {IdentityRotation.Fingerprint(oldIdentity.SigningPublicKey)})", stdout, StringComparison.Ordinal);
            await WaitAsync(agent, output, () => { lock (output) return output.Any(l => l.Contains("identity key rotated", StringComparison.Ordinal)); }, "the running agent loaded the new identity");
            _kit.AppendLines(80, 40);
            await WaitAsync(agent, output, () => Shipped() == 120, "40 lines after the identity rotation shipped");
            Assert.Equal(0, AgentProcess.Status(_kit.StateDir)!.Errors);
        }
        finally
        {
            AgentProcess.Kill(agent);
        }

        // Once the replaced identity key's grace is over, only what was signed with the new key opens: the last 40 lines.
        Assert.True(_kit.Registry.TryGet(AgentTestKit.AgentId, out var record));
        var messages = await _engine.ReadStreamAsync(new EngineKeyService.FixedClock(record.PreviousKeyValidUntil!.Value + TimeSpan.FromSeconds(1)));
        Assert.Equal(Enumerable.Range(80, 40).Select(AgentTestKit.Line), messages.Where(m => m.Opened.Ok).SelectMany(m => Originals(m.Opened)));
        Assert.All(messages.Where(m => !m.Opened.Ok), m => Assert.Equal(EnvelopeFailure.BadSignature, m.Opened.Failure));
        // Within the grace period every line opens, sealed to the first engine key, then only to the rotated one.
        var withinGrace = await _engine.ReadStreamAsync();
        Assert.Equal(Enumerable.Range(0, 120).Select(AgentTestKit.Line), withinGrace.SelectMany(m => Originals(m.Opened)));
        var keyIds = withinGrace.Select(m => m.KeyId).ToList();
        Assert.Equal(firstKey, keyIds[0]);
        Assert.Equal(_keys.Ring.Current.KeyId, keyIds[^1]);
        Assert.Equal(1, keyIds.Zip(keyIds.Skip(1)).Count(p => p.First != p.Second));
    }

    private long Shipped() => AgentProcess.Status(_kit.StateDir)?.RecordsShipped ?? -1;

    private string? ReportedKey() =>
        _kit.Registry.TryGet(AgentTestKit.AgentId, out var r) && r.PendingEngineKeyIds is { Count: 0 } ? r.EngineKeyId : null;

    /// <summary>Waits for <paramref name="condition"/>, failing at once with the agent's output if it exits.</summary>
    private static async Task WaitAsync(System.Diagnostics.Process agent, List<string> output, Func<bool> condition, string what)
    {
        await AgentTestKit.WaitUntilAsync(() => agent.HasExited || condition(), what, seconds: 25);
        lock (output) Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
    }

    private static IEnumerable<string> Originals(EnvelopeOpenResult opened) =>
        opened.Ok ? LogEventJson.DecodeBatch(opened.Plaintext!).Select(e => e.Original) : [];
}
