using System.Text;
using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Enrollment;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Collectors.Tests.Enrollment;

public sealed class EnrollmentTests : IClassFixture<NatsServerFixture>, IAsyncLifetime
{
    private const string Token = "enroll-7f3c9a";
    private readonly NatsServerFixture _nats;
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-enroll-").FullName;
    private readonly EngineKeyPair _engineKey = EngineKeyPair.Create();
    private readonly AgentRegistry _registry;
    private NatsConnection _engineConnection = null!;
    private NatsConnection _agentConnection = null!;
    private EnrollmentResponder _responder = null!;

    public EnrollmentTests(NatsServerFixture nats)
    {
        _nats = nats;
        _registry = new AgentRegistry(Path.Combine(_dir, "engine", "agents.json"));
    }

    public async Task InitializeAsync()
    {
        _engineConnection = new NatsConnection(NatsOpts.Default with { Servers = [_nats.Url] });
        await _engineConnection.ConnectAsync();
        _agentConnection = new NatsConnection(NatsOpts.Default with { Servers = [_nats.Url] });
        await _agentConnection.ConnectAsync();
        _responder = new EnrollmentResponder(_engineConnection, _registry, _engineKey, [Token]);
        await _responder.StartAsync();
    }

    public async Task DisposeAsync()
    {
        await _responder.DisposeAsync();
        await _agentConnection.DisposeAsync();
        await _engineConnection.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private string StateDir(string name) => Path.Combine(_dir, name);

    [Fact]
    public async Task A_good_token_enrolls_the_agent_and_stores_the_engine_key_and_subject()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var state = await AgentEnroller.EnrollAsync(_agentConnection, Token, "web-01", "acme", StateDir("a"), cancellationToken: timeout.Token);

        Assert.Equal("siem.events.acme.web-01", state.Subject);
        Assert.Equal(_engineKey.KeyId, state.EngineKeyId);
        Assert.Equal(_engineKey.AgreementPublicKey, state.EnginePublicKeyBytes);
        var identityPath = Path.Combine(StateDir("a"), EnrollmentState.IdentityFile);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(identityPath));
        Assert.Equal(state, EnrollmentState.Load(StateDir("a")));
        Assert.True(_registry.TryGet("web-01", out var record));
        Assert.Equal("acme", record.Tenant);
        Assert.Equal(AgentIdentity.Load(identityPath).SigningPublicKey, record.SigningPublicKey);
        Assert.True(new AgentRegistry(Path.Combine(_dir, "engine", "agents.json")).TryGet("web-01", out _)); // persisted
    }

    [Fact]
    public async Task A_bad_token_is_refused_with_a_clear_error_and_nothing_is_registered()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var e = await Assert.ThrowsAsync<EnrollmentException>(() => AgentEnroller.EnrollAsync(_agentConnection, "enroll-7f3c9b", "web-02", "acme", StateDir("b"), cancellationToken: timeout.Token));

        Assert.Equal("enrollment refused by the engine: enrollment token refused", e.Message);
        Assert.False(_registry.TryGet("web-02", out _));
        Assert.False(File.Exists(Path.Combine(StateDir("b"), EnrollmentState.StateFile)));
        Assert.Equal(1, _responder.Refused);
    }

    [Fact]
    public async Task A_revoked_agent_batches_fail_to_open_and_it_cannot_enroll_again()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var state = await AgentEnroller.EnrollAsync(_agentConnection, Token, "web-03", "acme", StateDir("c"), cancellationToken: timeout.Token);
        var identity = AgentIdentity.Load(Path.Combine(StateDir("c"), EnrollmentState.IdentityFile));
        var sealer = new EnvelopeSealer(identity, state.EnginePublicKeyBytes, state.EngineKeyId);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [_engineKey.KeyId] = _engineKey }, _registry);
        var batch = sealer.Seal(1, Encoding.UTF8.GetBytes("{}\n"));
        var headers = batch.Headers.ToDictionary(h => h.Key, h => h.Value);
        Assert.True(opener.Open(n => headers.GetValueOrDefault(n), batch.Body).Ok);

        Assert.True(_registry.Revoke("web-03"));

        var result = opener.Open(n => headers.GetValueOrDefault(n), batch.Body);
        Assert.Equal(EnvelopeFailure.RevokedAgent, result.Failure);
        var e = await Assert.ThrowsAsync<EnrollmentException>(() => AgentEnroller.EnrollAsync(_agentConnection, Token, "web-03", "acme", StateDir("c"), cancellationToken: timeout.Token));
        Assert.Equal("enrollment refused by the engine: agent 'web-03' is revoked; enroll under a new agent id", e.Message);
    }

    [Fact]
    public async Task Another_key_cannot_take_over_an_enrolled_agent_id()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        await AgentEnroller.EnrollAsync(_agentConnection, Token, "web-04", "acme", StateDir("d1"), cancellationToken: timeout.Token);
        var e = await Assert.ThrowsAsync<EnrollmentException>(() => AgentEnroller.EnrollAsync(_agentConnection, Token, "web-04", "acme", StateDir("d2"), cancellationToken: timeout.Token));
        Assert.Contains("already enrolled with a different key", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_enrolling_the_moment_a_fresh_responder_started_is_answered()
    {
        // One fresh server per round: each responder is the only one, so a request that reached the server before its
        // SUB would find no responder. StartAsync must not return before the server has the subscription.
        for (int round = 0; round < 10; round++)
        {
            await using var server = await NatsServer.StartAsync();
            await using var engine = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
            await using var agent = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
            await engine.ConnectAsync();
            await agent.ConnectAsync();
            await using var responder = new EnrollmentResponder(engine, _registry, _engineKey, [Token]);
            await responder.StartAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));

            var state = await AgentEnroller.EnrollAsync(agent, Token, $"fresh-{round}", "acme", StateDir($"f{round}"), TimeSpan.FromSeconds(10), timeout.Token);

            Assert.Equal($"siem.events.acme.fresh-{round}", state.Subject);
        }
    }

    [Fact]
    public async Task Without_an_engine_listening_enrollment_says_so()
    {
        await using var server = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await connection.ConnectAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var e = await Assert.ThrowsAsync<EnrollmentException>(() => AgentEnroller.EnrollAsync(connection, Token, "web-05", "acme", StateDir("e"), TimeSpan.FromSeconds(3), timeout.Token));
        Assert.StartsWith("no engine answers on 'siem.enroll'", e.Message, StringComparison.Ordinal);
    }
}
