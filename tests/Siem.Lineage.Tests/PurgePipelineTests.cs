using System.Text;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Engine.Search;
using Siem.Lineage.Audit;
using Siem.Lineage.Purge;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Tests;

/// <summary>Purges through the real pipeline: a real nats-server, SQLite index and ledger, several people sharing batches and alerts.</summary>
public sealed class PurgePipelineTests
{
    private const string AliceIp = "10.9.8.7", BobIp = "10.9.8.71", CarolIp = "192.0.2.33";

    private static async Task<long> CountAsync(PurgeHarness h, string query) =>
        await h.Index.CountAsync(new SearchRequest { Query = SearchQueryParser.Parse(query) });

    [Fact]
    public async Task Purging_one_person_removes_them_everywhere_keeps_others_redacts_shared_alerts_rewrites_batches_and_drops_late_records()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(25));
        await using var h = await PurgeHarness.StartAsync();
        h.StartEngine();
        // Batch 1 mixes alice and bob, batch 2 is alice's alone, batch 3 bob and carol.
        await h.PublishAsync(PurgeHarness.Record("r1", "alice", AliceIp, 1), PurgeHarness.Record("r2", "bob", BobIp, 2));
        await h.PublishAsync(PurgeHarness.Record("r3", "alice", AliceIp, 3), PurgeHarness.Record("r4", "alice", AliceIp, 4));
        await h.PublishAsync(PurgeHarness.Record("r5", "bob", BobIp, 5), PurgeHarness.Record("r6", "carol", CarolIp, 6));
        await h.WaitIndexedAsync(6, cts.Token);
        await h.WriteAlertAsync("a-shared", ["r1", "r2"], new() { ["source.ip"] = AliceIp, ["host.name"] = "web1" });
        await h.WriteAlertAsync("a-alice", ["r3", "r4"], new() { ["source.ip"] = AliceIp });
        await h.WriteAlertAsync("a-bob", ["r5"], new() { ["source.ip"] = BobIp });
        await h.StopEngineAsync();
        // Still in the stream when the purge runs (the engine is down): one batch shared with carol, one alice-only.
        ulong shared = await h.PublishAsync(PurgeHarness.Record("r7", "alice", AliceIp, 7), PurgeHarness.Record("r8", "carol", CarolIp, 8));
        ulong aliceOnly = await h.PublishAsync(PurgeHarness.Record("r9", "alice", AliceIp, 9));
        File.WriteAllText(Path.Combine(h.DataDir, "alert-dead-letter.jsonl"),
            $"{{\"alert_id\":\"a-alice\",\"alert\":{{\"source.ip\":\"{AliceIp}\"}}}}\n{{\"alert_id\":\"a-bob\",\"alert\":{{\"source.ip\":\"{BobIp}\"}}}}\n" +
            $"{{\"alert_id\":\"a-shared\",\"alert\":{{\"record_ids\":[\"r1\",\"r2\"],\"group_by\":{{\"source.ip\":\"{AliceIp}\",\"host.name\":\"web1\"}}}}}}\n");

        var aliceKey = await h.Keys.GetOrCreateKeyAsync(h.Subjects.SubjectId("source.ip", AliceIp), cts.Token);
        var bobKey = await h.Keys.GetOrCreateKeyAsync(h.Subjects.SubjectId("source.ip", BobIp), cts.Token);
        var coordinator = h.Coordinator();
        var job = await coordinator.RequestAsync("source.ip", AliceIp, "dpo@example.org", "GDPR art. 17", cancellationToken: cts.Token);
        var result = await coordinator.RunAsync(job.Id, "dpo@example.org", cts.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        Assert.True(result.Certificate["verified"]!.GetValue<bool>());
        Assert.DoesNotContain(AliceIp, result.Certificate.ToJsonString(), StringComparison.Ordinal);
        Assert.Equal(0, await CountAsync(h, $"\"{AliceIp}\""));
        Assert.Equal(0, await CountAsync(h, "user.name:alice"));
        Assert.Equal(2, await CountAsync(h, "user.name:bob"));
        Assert.Equal(1, await CountAsync(h, "user.name:carol"));
        // Shared alert kept with bob's record only and alice's address redacted; alice's own alert gone.
        var alerts = (await h.Index.FindAlertsAsync(["a-alice", "a-shared", "a-bob"], [], null)).ToDictionary(a => a.AlertId);
        Assert.False(alerts.ContainsKey("a-alice"));
        Assert.Equal(["r2"], alerts["a-shared"].RecordIds);
        Assert.Equal("[redacted]", alerts["a-shared"].GroupBy["source.ip"]);
        Assert.Equal("web1", alerts["a-shared"].GroupBy["host.name"]);
        Assert.Equal(["r5"], alerts["a-bob"].RecordIds);
        // The stream: both originals erased, the shared batch re-published (re-sealed by the server key) with carol's record only.
        await Assert.ThrowsAsync<NatsJSApiException>(() => h.Js.GetMsgAsync(EngineStreamsName, shared, cts.Token));
        await Assert.ThrowsAsync<NatsJSApiException>(() => h.Js.GetMsgAsync(EngineStreamsName, aliceOnly, cts.Token));
        var info = await h.Js.GetStreamAsync(EngineStreamsName, cts.Token);
        Assert.Equal(1UL, info.State.Messages);
        var rewritten = await h.Js.GetMsgAsync(EngineStreamsName, info.State.LastSeq, cts.Token);
        Assert.Equal(h.ServerKey.KeyId, rewritten.Headers![EnvelopeResealer.HeaderResealedBy]);
        var opened = h.Opener().Open(k => rewritten.Headers[k], rewritten.Data.Span);
        Assert.True(opened.Ok, opened.Detail);
        Assert.Equal(["r8"], LogEventJson.DecodeBatch(opened.Plaintext).Select(e => e.RecordId));
        // Dead letters rewritten without alice's alert.
        var deadLetters = File.ReadAllLines(Path.Combine(h.DataDir, "alert-dead-letter.jsonl"));
        Assert.Equal(2, deadLetters.Length);
        Assert.Contains("a-bob", deadLetters[0], StringComparison.Ordinal);
        Assert.Equal("{\"alert_id\":\"a-shared\",\"alert\":{\"record_ids\":[\"r2\"],\"group_by\":{\"source.ip\":\"[redacted]\",\"host.name\":\"web1\"}}}", deadLetters[1]);
        // The ledger forgot alice (tombstone only) and the byte scan of the data dir found nothing.
        Assert.Equal(0, await h.Ledger.CountSubjectRowsAsync(job.SubjectId, cts.Token));
        Assert.Single(await h.Ledger.TombstonesOfAsync(job.SubjectId, cts.Token));
        // Crypto-shredding: alice's data key destroyed, bob's intact.
        Assert.Equal(1, result.Job.Steps.Single(s => s.Store == "ledger").Shredded);
        Assert.Null(await h.Keys.TryGetKeyAsync(job.SubjectId, cts.Token));
        Assert.Equal(bobKey, await h.Keys.TryGetKeyAsync(h.Subjects.SubjectId("source.ip", BobIp), cts.Token));
        Assert.Equal(32, aliceKey.Length);
        Assert.All(result.Checks, c => Assert.True(c.Clean, c.Store));

        // The engine comes back: the re-sealed batch passes its checks (carol indexed), a late alice record is dropped.
        await h.PublishAsync(PurgeHarness.Record("r10", "alice", AliceIp, 10), PurgeHarness.Record("r11", "bob", BobIp, 11));
        h.StartEngine();
        await h.WaitIndexedAsync(3, cts.Token);
        Assert.Equal(1, h.Pipeline!.Stats.PurgeDropped);
        Assert.Equal(0, h.Pipeline.Stats.Quarantined);
        Assert.Equal(2, await CountAsync(h, "user.name:carol"));
        Assert.Equal(3, await CountAsync(h, "user.name:bob"));
        Assert.Equal(0, await CountAsync(h, $"\"{AliceIp}\""));
        await h.StopEngineAsync();
        await h.Index.CompactAsync(cts.Token);
        var scan = await DataDirByteScan.ScanAsync(h.DataDir, new SubjectValueMatcher(AliceIp), job.SubjectId, cts.Token);
        Assert.True(scan.Clean, string.Join("; ", scan.Where));
        Assert.True((await new AuditLog(h.DataDir).VerifyAsync(cts.Token)).Intact);
    }

    private const string EngineStreamsName = "SIEM_EVENTS";
}
