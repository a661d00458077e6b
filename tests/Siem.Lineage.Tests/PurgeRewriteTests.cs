using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Engine.Pipeline;
using Siem.Lineage.Hops;
using Siem.Lineage.Purge;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Tests;

/// <summary>
/// Issue #6: lineage hops and quarantined batches that concern the purged person and others are re-published without
/// the person, not erased whole, so the others' lineage and the quarantine's evidence survive. Real nats-server.
/// </summary>
public sealed class PurgeRewriteTests
{
    private const string AliceIp = "203.0.113.61", BobIp = "198.51.100.62";

    [Fact]
    public async Task Lineage_hops_of_two_people_lose_only_the_purged_ones_records_and_the_other_path_still_reaches_the_ledger()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var h = await PurgeHarness.StartAsync();
        await LineageStreams.EnsureAsync(h.Js, cts.Token);
        var lineage = new PipelineLineage(new JetStreamLineageRecorder(h.Connection), h.Subjects, "engine-test", "sqlite");
        var alice = PurgeHarness.Record("ra1", "alice", AliceIp, 1);
        var bob = PurgeHarness.Record("rb1", "bob", BobIp, 2);
        var now = SystemClock.Instance.GetCurrentInstant();
        // One batch hop carrying both, an alert built from both (redacted by the purge), an alert of alice alone (deleted).
        await lineage.Recorder.RecordBatchAsync(new BatchLineage("agent-1", 7, EngineStreams.Events, 41, "engine-test", "sqlite", now, now, [lineage.Describe(alice), lineage.Describe(bob)]), cts.Token);
        string aliceId = h.Subjects.SubjectId("source.ip", AliceIp), bobId = h.Subjects.SubjectId("source.ip", BobIp);
        await lineage.Recorder.RecordAlertsAsync(
        [
            new AlertLineage("alert-shared", "rule-1", ["ra1", "rb1"], [aliceId, bobId], "sqlite", now),
            new AlertLineage("alert-alice", "rule-1", ["ra1"], [aliceId], "sqlite", now),
        ], cts.Token);

        var scope = new PurgeScope
        {
            JobId = "purge-rewrite-1", DataDir = h.DataDir, Field = "source.ip", SubjectId = aliceId, Value = AliceIp,
            RecordIds = new HashSet<string>(["ra1"], StringComparer.Ordinal),
            DeletedAlertIds = new HashSet<string>(["alert-alice"], StringComparer.Ordinal),
            RedactedAlertIds = new HashSet<string>(["alert-shared"], StringComparer.Ordinal),
        };
        var target = new JetStreamPurgeTarget(h.Js, h.Opener(), new EnvelopeResealer(h.ServerKey, h.EngineKey), h.Subjects);
        var result = await target.PurgeAsync(scope, cts.Token);
        Assert.Equal((3L, 2L), (result.Erased, result.Rewritten));
        var check = await target.VerifyAsync(scope, cts.Token);
        Assert.True(check.Clean, string.Join("; ", check.Where));
        // Running the step again (a resumed job) finds nothing more to do.
        var again = await target.PurgeAsync(scope, cts.Token);
        Assert.Equal((0L, 0L), (again.Erased, again.Rewritten));

        // The ledger consumer stores what is left: bob's path, the shared alert as bob's alone, nothing of alice.
        var consumer = new LedgerConsumer(h.Connection, h.Ledger) { NakDelay = TimeSpan.FromMilliseconds(200) };
        await consumer.CreateConsumerAsync(cts.Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var consuming = Task.Run(() => consumer.RunAsync(stop.Token), CancellationToken.None);
        while (!await consumer.IsDrainedAsync(cts.Token)) await Task.Delay(50, cts.Token);
        await stop.CancelAsync();
        try { await consuming; } catch (OperationCanceledException) { }

        var bobPath = await h.Ledger.RecordPathAsync("rb1", cts.Token);
        Assert.NotNull(bobPath);
        var copy = Assert.Single(bobPath.Copies);
        Assert.Equal(("agent-1", 7UL, EngineStreams.Events, 41UL, "engine-test"), (copy.AgentId, copy.BatchSeq, copy.Stream, copy.StreamSeq, copy.EngineInstance));
        Assert.Equal(["alert-shared"], bobPath.Alerts.Select(a => a.AlertId));
        Assert.Null(await h.Ledger.RecordPathAsync("ra1", cts.Token));
        var shared = await h.Ledger.AlertPathAsync("alert-shared", cts.Token);
        Assert.Equal(["rb1"], shared!.Alert.RecordIds);
        var sharedSubjects = (await h.Ledger.SubjectsOfAlertsAsync(["alert-shared"], cts.Token))["alert-shared"];
        Assert.Contains(bobId, sharedSubjects);
        Assert.DoesNotContain(aliceId, sharedSubjects);
        Assert.Null(await h.Ledger.AlertPathAsync("alert-alice", cts.Token));
        Assert.Equal(0, await h.Ledger.CountSubjectRowsAsync(aliceId, cts.Token));
        Assert.Equal(0, consumer.Rejected);
    }

    [Fact]
    public async Task A_quarantined_batch_of_two_people_is_resealed_without_the_purged_one_and_keeps_its_quarantine_reason()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var h = await PurgeHarness.StartAsync();
        var env = h.Sealer.Seal(h.NextBatch++, LogEventJson.EncodeBatch([PurgeHarness.Record("qa1", "alice", AliceIp, 1), PurgeHarness.Record("qb1", "bob", BobIp, 2)]));
        // As the engine quarantines it: the agent's message id kept under another name, the reason, where it came from.
        var headers = new NatsHeaders();
        foreach (var (k, v) in env.Headers) headers.Add(k == NatsJSContext.MsgIdHeader ? EventPipeline.OriginalMsgIdHeader : k, v);
        headers.Add(EventPipeline.QuarantineReasonHeader, "replay");
        headers.Add(EventPipeline.QuarantineDetailHeader, "batch 1 of agent-1 seen before");
        headers.Add(EventPipeline.OriginalSubjectHeader, "siem.events.t1.agent-1");
        headers.Add(EventPipeline.OriginalStreamSeqHeader, "5");
        await h.Js.PublishAsync("siem.quarantine.replay", env.Body, headers, "SIEM_EVENTS:5", cts.Token);

        var scope = new PurgeScope
        {
            JobId = "purge-rewrite-2", DataDir = h.DataDir, Field = "source.ip", SubjectId = h.Subjects.SubjectId("source.ip", AliceIp), Value = AliceIp,
            RecordIds = new HashSet<string>(["qa1"], StringComparer.Ordinal),
        };
        var target = new JetStreamPurgeTarget(h.Js, h.Opener(), new EnvelopeResealer(h.ServerKey, h.EngineKey), h.Subjects);
        var result = await target.PurgeAsync(scope, cts.Token);
        Assert.Equal((1L, 1L, 1L), (result.Erased, result.Rewritten, result.Deleted));
        Assert.True((await target.VerifyAsync(scope, cts.Token)).Clean);

        var info = await h.Js.GetStreamAsync(EngineStreams.Quarantine, cts.Token);
        Assert.Equal(1UL, info.State.Messages);
        var kept = await h.Js.GetMsgAsync(EngineStreams.Quarantine, info.State.LastSeq, cts.Token);
        Assert.Equal(("siem.quarantine.replay", "replay", "5"), (kept.Subject, kept.Headers?[EventPipeline.QuarantineReasonHeader], kept.Headers?[EventPipeline.OriginalStreamSeqHeader]));
        var opened = h.Opener().Open(name => name == NatsJSContext.MsgIdHeader ? kept.Headers?[EventPipeline.OriginalMsgIdHeader] : kept.Headers?[name], kept.Data.Span);
        Assert.True(opened.Ok, opened.Detail);
        Assert.Equal(["qb1"], LogEventJson.DecodeBatch(opened.Plaintext!).Select(e => e.RecordId));
    }
}
