using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Control;
using Siem.Engine.Enrollment;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Collectors.Tests.Agent;

/// <summary>
/// The engine's side of key changes for a kit's agent: a key ring in a data dir (the agent's state re-enrolled with its
/// current key), the live keys and the key responder answering key checks and identity rotations over NATS.
/// </summary>
internal sealed class EngineKeyService : IAsyncDisposable
{
    private readonly AgentTestKit _kit;
    private readonly NatsConnection _engine;
    private readonly AgentKeyResponder _responder;

    private EngineKeyService(AgentTestKit kit, LiveEngineKeys keys, NatsConnection engine, AgentKeyResponder responder)
    {
        _kit = kit;
        Keys = keys;
        _engine = engine;
        _responder = responder;
    }

    public LiveEngineKeys Keys { get; }

    /// <param name="grace">How long a replaced agent identity key still verifies.</param>
    public static async Task<EngineKeyService> StartAsync(AgentTestKit kit, TimeSpan grace)
    {
        var dataDir = Path.Combine(kit.Dir, "data");
        var ring = EngineKeyRing.Open(dataDir, out _);
        // Enrolled with the ring's current key (the kit's own engine key is not on the ring).
        var enrolled = EnrollmentState.Load(kit.StateDir);
        (enrolled with { EngineKeyId = ring.Current.KeyId, EnginePublicKey = Convert.ToBase64String(ring.Current.AgreementPublicKey) }).Save(kit.StateDir);
        var keys = new LiveEngineKeys(dataDir, ring, kit.Registry);
        var engine = new NatsConnection(NatsOpts.Default with { Servers = [kit.Server.Url] });
        await engine.ConnectAsync();
        var responder = new AgentKeyResponder(engine, new AgentKeyAuthority(kit.Registry, () => keys.Ring, grace));
        await responder.StartAsync();
        await engine.PingAsync();
        return new EngineKeyService(kit, keys, engine, responder);
    }

    /// <summary>Every message in the stream in stream order, with its engine key id, opened with the engine's keys as they
    /// are now at <paramref name="clock"/>'s time.</summary>
    public async Task<List<(string KeyId, EnvelopeOpenResult Opened)>> ReadStreamAsync(TimeProvider? clock = null)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [_kit.Server.Url] });
        await connection.ConnectAsync();
        var js = new NatsJSContext(connection);
        var info = await js.GetStreamAsync("SIEM_EVENTS");
        var opener = new EnvelopeOpener(Keys.Ring.ById, _kit.Registry) { Clock = clock ?? TimeProvider.System };
        var result = new List<(string, EnvelopeOpenResult)>();
        for (var seq = info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Messages > 0; seq++)
        {
            var msg = await js.GetMsgAsync("SIEM_EVENTS", seq);
            result.Add((msg.Headers![EnvelopeFormat.HeaderKeyId]!, opener.Open(name => msg.Headers?[name], msg.Data.Span)));
        }
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        await _responder.DisposeAsync();
        await _engine.DisposeAsync();
    }

    /// <summary>A clock stopped at <paramref name="now"/> (to open batches as if the identity key's grace were over).</summary>
    public sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
