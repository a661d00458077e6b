using System.Text;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests;

public sealed class EventPipelineTests
{
    [Fact]
    public async Task Envelopes_sealed_by_an_enrolled_agent_are_decrypted_indexed_and_acked()
    {
        await using var h = await PipelineHarness.StartAsync();
        for (ulong seq = 1; seq <= 3; seq++) await h.PublishAsync(h.Seal(seq, PipelineHarness.Events("agent-1", (int)seq, 10)));

        await h.WaitUntilAsync(async () => await h.CountAsync() == 30, "30 events indexed");
        await h.WaitDrainedAsync();
        Assert.Equal(10, await h.CountAsync("source.ip:10.0.0.2"));
        Assert.Equal(1, await h.CountAsync("\"batch3 line7\""));
        Assert.Equal(0, h.Pipeline.Stats.Quarantined);
        // Work queue: acked messages leave the stream.
        Assert.Equal(0UL, (await h.Js.GetStreamAsync(EngineStreams.Events)).State.Messages);
    }

    [Fact]
    public async Task A_tampered_envelope_is_quarantined_with_its_reason_and_original_bytes_and_never_indexed()
    {
        await using var h = await PipelineHarness.StartAsync();
        var env = h.Seal(1, PipelineHarness.Events("agent-1", 1, 5));
        var tampered = (byte[])env.Body.Clone();
        tampered[40] ^= 0x01;
        await h.PublishAsync(env, body: tampered);
        await h.PublishAsync(h.Seal(2, PipelineHarness.Events("agent-1", 2, 5)));

        await h.WaitUntilAsync(async () => h.Pipeline.Stats.Quarantined == 1 && await h.CountAsync() == 5, "one quarantined, one indexed");
        await h.WaitDrainedAsync();
        Assert.Equal(0, await h.CountAsync("source.ip:10.0.0.1"));
        Assert.Equal(1, h.Pipeline.Stats.QuarantinedByReason["bad_signature"]);
        var q = await h.Js.GetMsgAsync(EngineStreams.Quarantine, 1, h.Timeout.Token);
        Assert.Equal("siem.quarantine.bad_signature", q.Subject);
        Assert.Equal("bad_signature", q.Headers![EventPipeline.QuarantineReasonHeader]);
        Assert.Equal("agent-1", q.Headers["Siem-Agent"]);
        Assert.Equal("1", q.Headers["Siem-Batch-Seq"]);
        Assert.Equal("agent-1:1", q.Headers[EventPipeline.OriginalMsgIdHeader]);
        Assert.Equal("siem.events.t1.agent-1", q.Headers[EventPipeline.OriginalSubjectHeader]);
        Assert.Equal(tampered, q.Data.ToArray());
    }

    [Fact]
    public async Task An_envelope_from_an_unknown_agent_is_quarantined()
    {
        await using var h = await PipelineHarness.StartAsync();
        var stranger = AgentIdentity.Create("stranger");
        var sealer = new EnvelopeSealer(stranger, h.EngineKey.AgreementPublicKey, h.EngineKey.KeyId);
        var env = sealer.Seal(1, LogEventJson.EncodeBatch(PipelineHarness.Events("stranger", 1, 3)));
        await h.Js.PublishAsync("siem.events.t1.stranger", env.Body, PipelineHarness.Headers(env), cancellationToken: h.Timeout.Token);

        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.Quarantined == 1), "quarantined");
        await h.WaitDrainedAsync();
        Assert.Equal(0, await h.CountAsync());
        var q = await h.Js.GetMsgAsync(EngineStreams.Quarantine, 1, h.Timeout.Token);
        Assert.Equal("siem.quarantine.unknown_agent", q.Subject);
        Assert.Contains("'stranger' is not enrolled", q.Headers![EventPipeline.QuarantineDetailHeader], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_published_again_after_a_higher_one_is_a_replay_and_quarantined()
    {
        await using var h = await PipelineHarness.StartAsync();
        var first = h.Seal(1, PipelineHarness.Events("agent-1", 1, 4));
        await h.PublishAsync(first);
        await h.PublishAsync(h.Seal(2, PipelineHarness.Events("agent-1", 2, 4)));
        await h.WaitUntilAsync(async () => await h.CountAsync() == 8, "8 indexed");

        // The captured message re-published without its Nats-Msg-Id, so the broker stores it as new.
        var ack = await h.PublishAsync(first, withMsgId: false);
        Assert.False(ack.Duplicate);

        await h.WaitUntilAsync(() => Task.FromResult(h.Pipeline.Stats.Quarantined == 1), "replay quarantined");
        await h.WaitDrainedAsync();
        Assert.Equal(1, h.Pipeline.Stats.QuarantinedByReason["replay"]);
        Assert.Equal(8, await h.CountAsync());
        var q = await h.Js.GetMsgAsync(EngineStreams.Quarantine, 1, h.Timeout.Token);
        Assert.Equal("siem.quarantine.replay", q.Subject);
    }

    [Fact]
    public async Task When_the_index_fails_the_message_is_not_acked_and_is_redelivered_and_stored_exactly_once()
    {
        FlakySink? flaky = null;
        await using var h = await PipelineHarness.StartAsync(inner => flaky = new FlakySink(inner, failures: 2));
        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 7)));

        await h.WaitUntilAsync(async () => await h.CountAsync() == 7, "7 indexed after redelivery");
        await h.WaitDrainedAsync();
        Assert.Equal(2, h.Pipeline.Stats.IndexErrors);
        Assert.True(h.Pipeline.Stats.MessagesNaked >= 2);
        Assert.True(h.Pipeline.Stats.Redeliveries >= 2);
        Assert.Equal(3, flaky!.Attempts);
        Assert.Equal(0, h.Pipeline.Stats.Quarantined);
        Assert.Equal(7, await h.CountAsync("failed"));
    }

    /// <summary>Fails the first N writes, as a full disk or a locked database would.</summary>
    internal sealed class FlakySink(IIndexSink inner, int failures) : IIndexSink
    {
        private int _left = failures;
        public int Attempts;

        public Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Attempts);
            return Interlocked.Decrement(ref _left) >= 0 ? throw new IOException("disk full (injected)") : inner.WriteAsync(events, alerts, cancellationToken);
        }

        public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.SearchAsync(request, cancellationToken);
        public Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.CountAsync(request, cancellationToken);
        public Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(ids, cancellationToken);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
