using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Host.Commands;
using Siem.Host.Server.Roles;

namespace Siem.Engine.Tests.Keys;

/// <summary>
/// <c>siem keys retire</c> looks into SIEM_EVENTS (real nats-server): batches sealed to the key that no engine has
/// consumed yet would be quarantined once the key is gone, so it refuses, naming how many and whose.
/// </summary>
public sealed class RetireStreamCheckTests() : EngineBrokerTest("siem-retire-stream-")
{
    private static readonly DateTimeOffset ReportedAt = DateTimeOffset.UtcNow;
    private string Data => Path.Combine(Dir, "data");

    /// <summary>Two agents that report having switched to the new key (the registry alone would let the old key go).</summary>
    private (EngineKeyPair Old, EngineKeyPair New, AgentIdentity Web1, AgentIdentity Web2) RotatedWithAgentsSwitched()
    {
        var (before, registry) = EngineRole.LoadIdentity(Data, _ => { });
        var after = before.Rotate();
        var web1 = AgentIdentity.Create("web-01");
        var web2 = AgentIdentity.Create("web-02");
        using (registry)
        {
            foreach (var agent in new[] { web1, web2 })
            {
                registry.Register(agent.AgentId, agent.SigningPublicKey, PipelineHarness.Tenant, engineKeyId: before.Current.KeyId);
                registry.ReportEngineKeys(agent.AgentId, after.Current.KeyId, [], ReportedAt);
            }
        }
        return (before.Current, after.Current, web1, web2);
    }

    private async Task PublishAsync(AgentIdentity agent, EngineKeyPair key, ulong seq, CancellationToken ct)
    {
        var env = new EnvelopeSealer(agent, key.AgreementPublicKey, key.KeyId).Seal(seq, LogEventJson.EncodeBatch(PipelineHarness.Events(agent.AgentId, (int)seq, 2)));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{agent.AgentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: ct);
    }

    [Fact]
    public async Task Retire_refuses_while_unconsumed_batches_are_sealed_to_the_key_and_goes_through_once_an_engine_consumed_them()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (old, current, web1, web2) = RotatedWithAgentsSwitched();
        // Sealed to the old key before the agents switched, still waiting in the stream (no engine runs yet).
        for (ulong seq = 1; seq <= 3; seq++) await PublishAsync(web1, old, seq, timeout.Token);
        await PublishAsync(web2, old, 1, timeout.Token);
        await PublishAsync(web1, current, 4, timeout.Token);

        var refusal = new StringWriter();
        Assert.Equal(1, await KeysCommand.RunAsync(Data, Js, TextWriter.Null, refusal, "retire", old.KeyId, cancellationToken: timeout.Token));
        Assert.Equal($"siem keys retire: refusing: SIEM_EVENTS still holds 4 unconsumed batch(es) sealed to {old.KeyId} (of 5 waiting), from web-01 (3), web-02 (1). "
            + "Let the engines consume them (check the consumer lag) and retire again, or pass --force (they are then quarantined as unknown_key).", refusal.ToString().TrimEnd());
        Assert.Contains(old.KeyId, EngineKeyRing.Open(Data, out _).ById.Keys);

        // An engine holding both keys consumes the backlog (acked messages leave the work-queue stream).
        var ring = EngineKeyRing.Open(Data, out _);
        using var registry = new AgentRegistry(Path.Combine(Data, "engine", "agents.json"));
        await using var index = SqliteIndexSink.Open(Path.Combine(Dir, "index"));
        using var sequences = new BatchSequenceTracker(Path.Combine(Dir, "index"));
        var pipeline = new EventPipeline(Connection, index, new EnvelopeOpener(ring.ById, registry), sequences, null, EngineOptions.Default with { StateDir = Path.Combine(Dir, "state") });
        using var stop = new CancellationTokenSource();
        var run = Task.Run(() => pipeline.RunAsync(stop.Token), CancellationToken.None);
        while ((await Js.GetStreamAsync(EngineStreams.Events, timeout.Token)).State.Messages > 0) await Task.Delay(50, timeout.Token);
        await stop.CancelAsync();
        await run;
        Assert.Equal((10, 0), (pipeline.Stats.EventsIndexed, pipeline.Stats.Quarantined));

        var listing = new StringWriter();
        Assert.Equal(0, await KeysCommand.RunAsync(Data, Js, listing, TextWriter.Null, "retire", old.KeyId, cancellationToken: timeout.Token));
        Assert.Equal($"{current.KeyId}  current   created {current.CreatedAt:u}  2 agent(s) sealing to it, 0 with spooled batches", listing.ToString().TrimEnd());
        Assert.DoesNotContain(old.KeyId, EngineKeyRing.Open(Data, out _).ById.Keys);
    }

    [Fact]
    public async Task Force_retires_despite_waiting_batches_and_says_whose_will_be_quarantined()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var (old, _, web1, _) = RotatedWithAgentsSwitched();
        await PublishAsync(web1, old, 1, timeout.Token);

        var warning = new StringWriter();
        Assert.Equal(0, await KeysCommand.RunAsync(Data, Js, TextWriter.Null, warning, "retire", old.KeyId, force: true, cancellationToken: timeout.Token));

        Assert.StartsWith($"siem keys retire: --force: 1 unconsumed batch(es) sealed to {old.KeyId} in SIEM_EVENTS, from web-01 (1), will be quarantined as unknown_key", warning.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(old.KeyId, EngineKeyRing.Open(Data, out _).ById.Keys);
    }

    [Fact]
    public async Task Without_a_way_to_check_the_stream_retire_refuses_and_says_how_to_give_one()
    {
        var (old, _, _, _) = RotatedWithAgentsSwitched();

        var refusal = new StringWriter();
        Assert.Equal(1, await KeysCommand.RunAsync(Data, null, TextWriter.Null, refusal, "retire", old.KeyId));

        Assert.Contains($"cannot check SIEM_EVENTS for batches sealed to {old.KeyId} that no engine has consumed yet; pass --nats URL or --config siem.yml", refusal.ToString(), StringComparison.Ordinal);
        Assert.Contains(old.KeyId, EngineKeyRing.Open(Data, out _).ById.Keys);
    }
}
