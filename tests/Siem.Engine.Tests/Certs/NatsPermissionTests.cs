using System.Threading.Channels;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests.Certs;

/// <summary>The generated accounts config on a real nats-server 2.9: agents publish only their own subject, request
/// enrollment and make key requests on their own key subjects; only the engine reads the raw stream.</summary>
public sealed class NatsPermissionTests(SecuredNats nats) : IClassFixture<SecuredNats>
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static int _streams;

    /// <summary>A fresh events stream per test, created by the engine; disposing deletes it (the fixture's server is
    /// shared and two streams may not capture the same subject).</summary>
    private static async Task<EventsStream> CreateEventsStreamAsync(NatsJSContext engineJs, string agentSubject, CancellationToken ct)
    {
        var name = $"SIEM_EVENTS_{Interlocked.Increment(ref _streams)}";
        await engineJs.CreateStreamAsync(new StreamConfig(name, agentSubject), ct);
        return new EventsStream(engineJs, name);
    }

    private sealed record EventsStream(NatsJSContext Js, string Name) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync() => await Js.DeleteStreamAsync(Name);
    }

    /// <summary>Server -ERRs raised asynchronously on the connection (permission violations keep the connection open).</summary>
    private static Channel<NatsException> CollectErrors(NatsConnection connection)
    {
        var errors = Channel.CreateUnbounded<NatsException>();
        connection.Error += (_, e) => errors.Writer.TryWrite(e);
        return errors;
    }

    [Fact]
    public async Task The_engine_consumes_and_acks_what_an_agent_publishes_on_its_own_subject()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web01));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        var engineJs = new NatsJSContext(engine);
        await using var events = await CreateEventsStreamAsync(engineJs, SecuredNats.Web01.EventsSubject, ct);
        var stream = events.Name;

        var ack = await new NatsJSContext(agent).PublishAsync(SecuredNats.Web01.EventsSubject, "sealed batch 1"u8.ToArray(), msgId: "web-01:1", cancellationToken: ct);
        Assert.Equal(stream, ack.Stream);
        Assert.Equal(1UL, ack.Seq);

        var consumer = await engineJs.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("engine") { AckPolicy = AckPolicy.Explicit }, ct);
        var received = new List<NatsJSMsg>();
        await foreach (var m in consumer.FetchAsync(10, TimeSpan.FromSeconds(1), cancellationToken: ct)) received.Add(m);
        var msg = Assert.Single(received);
        Assert.Equal("sealed batch 1"u8.ToArray(), msg.Data.ToArray());
        await msg.AckSyncAsync(ct);
        Assert.Equal(0L, (await consumer.RefreshAsync(ct)).NumAckPending);
    }

    [Fact]
    public async Task An_agent_cannot_publish_as_another_agent()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web01));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        var engineJs = new NatsJSContext(engine);
        await using var events = await CreateEventsStreamAsync(engineJs, SecuredNats.Web02.EventsSubject, ct);
        var stream = events.Name;
        var errors = CollectErrors(agent);

        var spoof = new NatsJSContext(agent) { RequestTimeout = TimeSpan.FromSeconds(1) };
        await Assert.ThrowsAnyAsync<NatsException>(async () => await spoof.PublishAsync(SecuredNats.Web02.EventsSubject, "forged"u8.ToArray(), cancellationToken: ct));

        var error = await errors.Reader.ReadAsync(ct);
        Assert.IsType<NatsAuthorizationException>(error);
        Assert.Contains($"Permissions Violation for Publish to \"{SecuredNats.Web02.EventsSubject}\"", error.Message, StringComparison.Ordinal);
        Assert.Equal(0UL, (await engineJs.GetStreamAsync(stream, ct)).State.Messages);
    }

    [Theory]
    [InlineData("siem.events.>")]
    [InlineData("siem.events.acme.web-02")]
    [InlineData("_INBOX.>")]
    [InlineData("_INBOX.agent.acme.web-02.>")]
    [InlineData("siem.alerts.>")]
    [InlineData("siem.metrics.>")]
    public async Task An_agent_cannot_subscribe_to_the_raw_events_nor_other_users_replies(string subject)
    {
        var ct = Timeout();
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web01));
        await SecuredNats.ConnectAsync(agent, ct);
        var errors = CollectErrors(agent);

        await using var sub = await agent.SubscribeAsync(subject, cancellationToken: ct);

        var error = await errors.Reader.ReadAsync(ct);
        Assert.IsType<NatsAuthorizationException>(error);
        Assert.Contains($"Permissions Violation for Subscription to \"{subject}\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_cannot_read_the_stream_through_the_JetStream_API()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web01));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        await using var events = await CreateEventsStreamAsync(new NatsJSContext(engine), SecuredNats.Web01.EventsSubject, ct);
        var stream = events.Name;
        await new NatsJSContext(agent).PublishAsync(SecuredNats.Web01.EventsSubject, "own batch"u8.ToArray(), cancellationToken: ct);
        var errors = CollectErrors(agent);

        var agentJs = new NatsJSContext(agent) { RequestTimeout = TimeSpan.FromSeconds(1) };
        await Assert.ThrowsAnyAsync<NatsException>(async () => await agentJs.GetMsgAsync(stream, 1, ct));
        await Assert.ThrowsAnyAsync<NatsException>(async () => await agentJs.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig("thief"), ct));

        var first = await errors.Reader.ReadAsync(ct);
        Assert.Contains($"Permissions Violation for Publish to \"$JS.API.STREAM.MSG.GET.{stream}\"", first.Message, StringComparison.Ordinal);
        var second = await errors.Reader.ReadAsync(ct);
        Assert.Contains("Permissions Violation for Publish to \"$JS.API.CONSUMER.", second.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Only_the_engine_reads_and_writes_the_shared_agent_registry_bucket()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web01));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        var engineJs = new NatsJSContext(engine);
        var bucket = await engineJs.CreateKeyValueAsync(new KvConfig(Siem.Engine.Agents.AgentRegistrySync.Bucket), ct);
        try
        {
            ulong revision = await bucket.PutAsync("web-01", "{\"revoked\":true}"u8.ToArray(), ct);
            var errors = CollectErrors(agent);

            // Un-revoking itself by writing the bucket, or reading it, directly or through the JetStream API: all refused.
            await agent.PublishAsync("$KV.SIEM_AGENTS.web-01", "{\"revoked\":false}"u8.ToArray(), cancellationToken: ct);
            Assert.Contains("Permissions Violation for Publish to \"$KV.SIEM_AGENTS.web-01\"", (await errors.Reader.ReadAsync(ct)).Message, StringComparison.Ordinal);
            await using (await agent.SubscribeAsync("$KV.SIEM_AGENTS.>", cancellationToken: ct))
                Assert.Contains("Permissions Violation for Subscription to \"$KV.SIEM_AGENTS.>\"", (await errors.Reader.ReadAsync(ct)).Message, StringComparison.Ordinal);
            var agentJs = new NatsJSContext(agent) { RequestTimeout = TimeSpan.FromSeconds(1) };
            await Assert.ThrowsAnyAsync<NatsException>(async () => await agentJs.GetKeyValueAsync(Siem.Engine.Agents.AgentRegistrySync.Bucket, ct));
            Assert.Contains("Permissions Violation for Publish to \"$JS.API.STREAM.INFO.KV_SIEM_AGENTS\"", (await errors.Reader.ReadAsync(ct)).Message, StringComparison.Ordinal);

            var entry = await bucket.GetAsync("web-01", ct);
            Assert.Equal(revision, entry!.Revision);
            Assert.Equal("{\"revoked\":true}"u8.ToArray(), entry.Value.ToArray());
        }
        finally
        {
            await engineJs.DeleteKeyValueAsync(Siem.Engine.Agents.AgentRegistrySync.Bucket, ct);
        }
    }

    [Fact]
    public async Task An_agent_may_request_enrollment_and_receives_the_engines_reply()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web02));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        await using var enroll = await engine.SubscribeAsync("siem.enroll", cancellationToken: ct);
        await engine.PingAsync(ct); // the server has registered the subscription
        var responder = Task.Run(async () =>
        {
            var request = await enroll.Msgs.ReadAsync(ct);
            Assert.StartsWith("_INBOX.agent.acme.web-02.", request.ReplyTo, StringComparison.Ordinal);
            await engine.PublishAsync(request.ReplyTo!, "enrolled"u8.ToArray(), cancellationToken: ct);
        }, ct);

        var reply = await agent.RequestAsync("siem.enroll", "token"u8.ToArray(), cancellationToken: ct);

        Assert.Equal("enrolled"u8.ToArray(), reply.Data.ToArray());
        await responder;
    }

    [Fact]
    public async Task An_agent_may_make_key_requests_on_its_own_subject_only_and_receives_the_engines_reply()
    {
        var ct = Timeout();
        await using var engine = new NatsConnection(nats.EngineOpts());
        await using var agent = new NatsConnection(nats.AgentOpts(SecuredNats.Web02));
        await SecuredNats.ConnectAsync(engine, ct);
        await SecuredNats.ConnectAsync(agent, ct);
        await using var keys = await engine.SubscribeAsync("siem.keys.>", cancellationToken: ct);
        await engine.PingAsync(ct);
        var responder = Task.Run(async () =>
        {
            var request = await keys.Msgs.ReadAsync(ct);
            Assert.Equal("siem.keys.acme.web-02.engine", request.Subject);
            await engine.PublishAsync(request.ReplyTo!, "current key"u8.ToArray(), cancellationToken: ct);
        }, ct);

        var reply = await agent.RequestAsync("siem.keys.acme.web-02.engine", "signed request"u8.ToArray(), cancellationToken: ct);
        Assert.Equal("current key"u8.ToArray(), reply.Data.ToArray());
        await responder;

        // Asking (or rotating) as another agent is refused by the broker before any engine sees it.
        var errors = CollectErrors(agent);
        await agent.PublishAsync("siem.keys.acme.web-01.rotate", "forged"u8.ToArray(), cancellationToken: ct);
        var error = await errors.Reader.ReadAsync(ct);
        Assert.Contains("Permissions Violation for Publish to \"siem.keys.acme.web-01.rotate\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_NKey_is_refused_even_with_a_valid_client_certificate()
    {
        var ct = Timeout();
        await using var stranger = new NatsConnection(nats.AgentOpts(SecuredNats.Web01) with { NKeySeedFile = null, NKeySeed = NKeyPair.CreateUser().Seed, MaxReconnectAttempts = 0 });
        await Assert.ThrowsAsync<NatsAuthorizationException>(() => SecuredNats.ConnectAsync(stranger, ct));
    }
}
