using System.Text.Json;
using NodaTime;
using Siem.Engine.Detection;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;
using Siem.Rules.Correlation;

namespace Siem.Engine.Tests;

/// <summary>
/// With a state dir the engine snapshots its correlation and suppression state every StateSnapshotInterval (or when
/// MaxMessagesAwaitingSnapshot indexed messages wait) and acks a message only after a snapshot that covers it.
/// </summary>
public sealed class DeferredAckTests
{
    private const string FailedLoginRule = "5d0c6a52-1f7e-4c59-9a55-3f1b2a7c9e01";
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 22, 10, 0);

    private static async Task<PipelineHarness> StartAsync(TimeSpan interval, int maxAwaiting)
    {
        var ruleDir = Directory.CreateTempSubdirectory("siem-deferred-rule-").FullName;
        var root = EngineStateTests.FindRepoRoot();
        var detector = SigmaDetector.Load([EngineStateTests.WriteFailedLoginRule(ruleDir)], Path.Combine(root, "rules", "packs", "pipelines", "default.yml"), CorrelationOptions.Default);
        return await PipelineHarness.StartAsync(options: dir => EngineOptions.Default with
        {
            StateDir = Path.Combine(dir, "state"),
            StateSnapshotInterval = interval,
            MaxMessagesAwaitingSnapshot = maxAwaiting,
        }, detector: detector);
    }

    private static Task PublishFailuresAsync(PipelineHarness h, ulong seq, int from, int count) =>
        h.PublishAsync(h.Seal(seq, EngineStateTests.FailedLogins(h.Agent.AgentId, Start, from, count)));

    private static string SuppressionPath(PipelineHarness h) => Path.Combine(h.DataDir, "state", "suppression.json");

    /// <summary>The record ids the suppression snapshot on disk holds for its open alerts.</summary>
    private static List<string> SnapshotRecords(PipelineHarness h)
    {
        if (!File.Exists(SuppressionPath(h))) return [];
        using var doc = JsonDocument.Parse(File.ReadAllBytes(SuppressionPath(h)));
        return [.. doc.RootElement.GetProperty("open").EnumerateArray()
            .SelectMany(o => o.GetProperty("records").EnumerateArray().Select(r => r.GetString()!))
            .Order(StringComparer.Ordinal)];
    }

    private static IEnumerable<string> Ids(int from, int count) => Enumerable.Range(from, count).Select(i => $"fail{i:D2}");

    [Fact]
    public async Task Indexed_messages_are_acked_only_after_the_snapshot_that_covers_them()
    {
        await using var h = await StartAsync(interval: TimeSpan.FromHours(1), maxAwaiting: 3);
        await PublishFailuresAsync(h, 1, 0, 4);
        await PublishFailuresAsync(h, 2, 4, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 8 && h.Pipeline.MessagesAwaitingSnapshot == 2, "two messages indexed");

        // Indexed and the alert raised, but no snapshot yet: the broker still holds both messages as unacknowledged.
        Assert.Equal(2, (await h.ConsumerInfoAsync()).NumAckPending);
        Assert.Equal(0, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(1, h.Pipeline.Stats.AlertsRaised);
        Assert.Empty(SnapshotRecords(h));

        await PublishFailuresAsync(h, 3, 8, 4); // the third waiting message makes the snapshot due
        await h.WaitDrainedAsync();
        Assert.Equal(3, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(Ids(0, 12), SnapshotRecords(h));
    }

    [Fact]
    public async Task Count_updates_of_an_alert_are_coalesced_into_one_per_snapshot_and_written_before_its_acks()
    {
        await using var h = await StartAsync(interval: TimeSpan.FromHours(1), maxAwaiting: 3);
        await PublishFailuresAsync(h, 1, 0, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 4, "the first message indexed"); // so the second is another group
        await PublishFailuresAsync(h, 2, 4, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 8 && h.Pipeline.MessagesAwaitingSnapshot == 2, "two messages indexed");

        // The new alert went out with its group; the second group's update waits for the snapshot.
        Assert.Equal(1, h.Pipeline.Stats.AlertsRaised);
        Assert.Equal(0, h.Pipeline.Stats.AlertsUpdated);
        Assert.Equal(1, h.Pipeline.PendingAlertUpdates);
        Assert.Equal([4L], await FailedLoginAlertCountsAsync(h));

        await PublishFailuresAsync(h, 3, 8, 4); // a second update of the same alert, then the snapshot
        await h.WaitDrainedAsync();
        Assert.Equal(1, h.Pipeline.Stats.AlertsUpdated); // one update with the latest count, not one per group
        Assert.Equal(0, h.Pipeline.PendingAlertUpdates);
        Assert.Equal([12L], await FailedLoginAlertCountsAsync(h));
    }

    [Fact]
    public async Task A_purge_of_a_record_drops_the_pending_update_that_holds_it_so_the_subject_is_not_written_back()
    {
        await using var h = await StartAsync(interval: TimeSpan.FromHours(1), maxAwaiting: 3);
        await PublishFailuresAsync(h, 1, 0, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 4, "the first message indexed");
        await PublishFailuresAsync(h, 2, 4, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 8 && h.Pipeline.PendingAlertUpdates == 1, "the second message's update pending");

        // The purge already removed fail05 from the index; the update folded before it must not bring it back.
        var forget = new Siem.Engine.Purge.SubjectForgetting { JobId = "purge-1", RecordIds = new HashSet<string>(["fail05"], StringComparer.Ordinal) };
        Assert.True(await h.Pipeline.ForgetAsync(forget).WaitAsync(h.Timeout.Token) >= 2); // the open alert and its pending update
        Assert.Equal(0, h.Pipeline.PendingAlertUpdates);
        Assert.Equal(0, h.Pipeline.Stats.AlertsUpdated);
        Assert.Equal([4L], await FailedLoginAlertCountsAsync(h));
    }

    private static async Task<List<long>> FailedLoginAlertCountsAsync(PipelineHarness h)
    {
        var alerts = await h.Index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 10 }, h.Timeout.Token);
        return [.. alerts.Where(a => a.Alert!.RuleId == FailedLoginRule).Select(a => a.Alert!.Count)];
    }

    [Fact]
    public async Task An_idle_engine_takes_the_snapshot_when_it_falls_due_and_acks()
    {
        await using var h = await StartAsync(interval: TimeSpan.FromMilliseconds(300), maxAwaiting: 1000);
        await PublishFailuresAsync(h, 1, 0, 5);

        // Nothing else arrives: only the idle timer can take the snapshot and send the ack.
        await h.WaitDrainedAsync();
        Assert.Equal(1, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(0, h.Pipeline.MessagesAwaitingSnapshot);
        Assert.Equal(Ids(0, 5), SnapshotRecords(h));
    }

    [Fact]
    public async Task Stopping_the_engine_snapshots_and_acks_what_it_indexed()
    {
        await using var h = await StartAsync(interval: TimeSpan.FromHours(1), maxAwaiting: 1000);
        await PublishFailuresAsync(h, 1, 0, 3);
        await PublishFailuresAsync(h, 2, 3, 3);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 6 && h.Pipeline.MessagesAwaitingSnapshot == 2, "both messages indexed");

        await h.StopPipelineAsync();

        // Nothing runs any more that could ack: the acks the stop sent arrive (before AckWait, longer than the test's timeout).
        await h.WaitDrainedAsync();
        Assert.Equal(2, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(Ids(0, 6), SnapshotRecords(h));
        var alerts = await h.Index.SearchAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false, Limit = 10 }, h.Timeout.Token);
        Assert.Equal([6L], alerts.Where(a => a.Alert!.RuleId == FailedLoginRule).Select(a => a.Alert!.Count));
    }

    [Fact]
    public async Task A_snapshot_written_in_the_background_acks_its_messages_only_once_on_disk_while_the_loop_keeps_indexing()
    {
        using var gate = new ManualResetEventSlim(false);
        var ruleDir = Directory.CreateTempSubdirectory("siem-deferred-rule-").FullName;
        var inner = SigmaDetector.Load([EngineStateTests.WriteFailedLoginRule(ruleDir)],
            Path.Combine(EngineStateTests.FindRepoRoot(), "rules", "packs", "pipelines", "default.yml"), CorrelationOptions.Default);
        await using var h = await PipelineHarness.StartAsync(options: dir => EngineOptions.Default with
        {
            StateDir = Path.Combine(dir, "state"),
            StateSnapshotInterval = TimeSpan.FromHours(1),
            MaxMessagesAwaitingSnapshot = 1,
        }, detector: new GatedSnapshotDetector(inner, gate));

        await PublishFailuresAsync(h, 1, 0, 4); // due at once; its write waits at the gate
        await h.WaitUntilAsync(async () => await h.CountAsync() == 4 && h.Pipeline.MessagesAwaitingSnapshot == 0, "first message indexed and captured");
        await PublishFailuresAsync(h, 2, 4, 4);
        await h.WaitUntilAsync(async () => await h.CountAsync() == 8 && h.Pipeline.MessagesAwaitingSnapshot == 1, "second message indexed during the write");

        // Both indexed, neither acked: the first snapshot is not on disk yet, the second cannot start before it ends.
        Assert.Equal(2, (await h.ConsumerInfoAsync()).NumAckPending);
        Assert.Equal(0, h.Pipeline.Stats.MessagesAcked);
        Assert.Empty(SnapshotRecords(h));

        gate.Set();
        await h.WaitDrainedAsync();
        Assert.Equal(2, h.Pipeline.Stats.MessagesAcked);
        Assert.Equal(Ids(0, 8), SnapshotRecords(h));
        Assert.Equal(0, h.Pipeline.SnapshotErrors);
    }

    /// <summary>Holds every correlation snapshot write until the gate opens (what a slow disk or a large state does).</summary>
    private sealed class GatedSnapshotDetector(IDetector inner, ManualResetEventSlim gate) : IDetector
    {
        public void Detect(Siem.Core.Events.LogEvent e, List<DetectionHit> output) => inner.Detect(e, output);

        public void Flush(List<DetectionHit> output) => inner.Flush(output);

        public Action<Stream>? CaptureState()
        {
            var write = inner.CaptureState();
            return stream =>
            {
                gate.Wait(TimeSpan.FromSeconds(30));
                write?.Invoke(stream);
            };
        }

        public void RestoreState(byte[] state) => inner.RestoreState(state);
    }
}
