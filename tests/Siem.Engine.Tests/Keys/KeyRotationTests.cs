using System.Text;
using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Enrollment;
using Siem.Host.Commands;
using Siem.Host.Server.Roles;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Engine.Tests.Keys;

/// <summary>Engine key rotation: a new key becomes current for enrollments, batches sealed under the old one still open until it is retired.</summary>
public sealed class KeyRotationTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static EnvelopeOpenResult Open(EnvelopeOpener opener, SealedEnvelope env) =>
        opener.Open(h => env.Headers.FirstOrDefault(kv => kv.Key == h).Value, env.Body);

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task After_a_rotation_old_key_batches_still_open_new_enrollments_seal_to_the_new_key_and_a_retired_key_no_longer_opens()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        var (before, registry) = EngineRole.LoadIdentity(_dir, _ => { });
        var agent = AgentIdentity.Create("agent-1");
        registry.Register(agent.AgentId, agent.SigningPublicKey, "t1");
        // Sealed (or spooled) by an agent enrolled before the rotation.
        var oldBatch = new EnvelopeSealer(agent, before.Current.AgreementPublicKey, before.Current.KeyId).Seal(1, Encoding.UTF8.GetBytes("[]"));

        var stdout = new StringWriter();
        Assert.Equal(0, await KeysCommand.RunAsync(_dir, null, stdout, TextWriter.Null, "rotate", null));

        var (after, _) = EngineRole.LoadIdentity(_dir, _ => { });
        Assert.NotEqual(before.Current.KeyId, after.Current.KeyId);
        Assert.Equal([before.Current.KeyId], after.Previous.Select(k => k.KeyId));
        Assert.StartsWith($"{after.Current.KeyId}  current", stdout.ToString(), StringComparison.Ordinal);
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(Path.Combine(_dir, "engine", "engine-keys", before.Current.KeyId + ".json")));
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(EngineKeyRing.CurrentPath(_dir)));

        // An agent enrolling now is handed the new key (the engine role's responder serves the ring's current key).
        await using var nats = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [nats.Url] });
        await connection.ConnectAsync(timeout.Token);
        await using (var responder = new EnrollmentResponder(connection, registry, after.Current, ["token-1"]))
        {
            await responder.StartAsync(timeout.Token);
            var state = await AgentEnroller.EnrollAsync(connection, "token-1", "agent-2", "t1", Path.Combine(_dir, "agent-2"), cancellationToken: timeout.Token);
            Assert.Equal(after.Current.KeyId, state.EngineKeyId);
            Assert.Equal(after.Current.AgreementPublicKey, state.EnginePublicKeyBytes);
        }
        var newBatch = new EnvelopeSealer(agent, after.Current.AgreementPublicKey, after.Current.KeyId).Seal(2, Encoding.UTF8.GetBytes("[]"));

        var opener = new EnvelopeOpener(after.ById, registry);
        var oldOpened = Open(opener, oldBatch);
        var newOpened = Open(opener, newBatch);
        Assert.True(oldOpened.Ok, oldOpened.Detail);
        Assert.True(newOpened.Ok, newOpened.Detail);
        Assert.Equal("[]", Encoding.UTF8.GetString(oldOpened.Plaintext!));

        Assert.Equal(1, await KeysCommand.RunAsync(_dir, null, TextWriter.Null, TextWriter.Null, "retire", after.Current.KeyId)); // the current key cannot be retired
        // agent-1 never reported which key it seals to (registered before agents reported it): retiring needs --force.
        var refusal = new StringWriter();
        Assert.Equal(1, await KeysCommand.RunAsync(_dir, null, TextWriter.Null, refusal, "retire", before.Current.KeyId));
        Assert.Contains("agent-1 (has not reported its key)", refusal.ToString(), StringComparison.Ordinal);
        Assert.Equal(0, await KeysCommand.RunAsync(_dir, null, TextWriter.Null, TextWriter.Null, "retire", before.Current.KeyId, force: true));
        var (retired, _) = EngineRole.LoadIdentity(_dir, _ => { });
        var reopened = new EnvelopeOpener(retired.ById, registry);
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(reopened, oldBatch).Failure);
        Assert.True(Open(reopened, newBatch).Ok);
        Assert.False(File.Exists(Path.Combine(_dir, "engine", "engine-keys", before.Current.KeyId + ".json")));
    }

    [Fact]
    public async Task A_batch_sealed_to_a_key_this_engine_has_not_loaded_yet_reloads_the_keys_and_opens()
    {
        var (keys, registry) = EngineRole.LoadIdentity(_dir, _ => { });
        var agent = AgentIdentity.Create("agent-1");
        registry.Register(agent.AgentId, agent.SigningPublicKey, "t1");
        var log = new List<string>();
        var live = new Siem.Engine.Control.LiveEngineKeys(_dir, keys, registry, log.Add);
        EnvelopeOpener opener = null!;
        opener = new EnvelopeOpener(keys.ById, registry) { ReloadEngineKeys = _ => live.Refresh() };
        live.Changed += ring => opener.UseEngineKeys(ring.ById);

        // Another process rotated (another engine already announces the new key); this engine's timer has not run yet.
        Assert.Equal(0, await KeysCommand.RunAsync(_dir, null, TextWriter.Null, TextWriter.Null, "rotate", null));
        var rotated = EngineKeyRing.Open(_dir, out _).Current;
        var batch = new EnvelopeSealer(agent, rotated.AgreementPublicKey, rotated.KeyId).Seal(1, Encoding.UTF8.GetBytes("[]"));

        var opened = Open(opener, batch);

        Assert.True(opened.Ok, opened.Detail);
        Assert.Equal(rotated.KeyId, live.Ring.Current.KeyId);
        Assert.Equal($"engine keys changed: {rotated.KeyId} is current (was {keys.Current.KeyId}); still accepted: {keys.Current.KeyId}", Assert.Single(log));
        // A key nobody holds stays unknown (and costs one more look at the files, not a reload).
        var stranger = EngineKeyPair.Create();
        Assert.Equal(EnvelopeFailure.UnknownKey, Open(opener, new EnvelopeSealer(agent, stranger.AgreementPublicKey, stranger.KeyId).Seal(2, Encoding.UTF8.GetBytes("[]"))).Failure);
        Assert.Single(log);
    }
}
