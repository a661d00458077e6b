using Siem.Engine.Pipeline;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Tests;

/// <summary>
/// Lineage in the engine process with a state dir: count updates of an open alert are coalesced until the snapshot
/// (indexed and published once, in their latest state), and their lineage is still complete — every record and subject
/// of the alert, and every alerts-stream message it was published as.
/// </summary>
public sealed class LineageCoalescedUpdatesTests
{
    [Fact]
    public async Task Updates_of_an_alert_are_published_once_per_snapshot_and_the_ledger_links_every_record_subject_and_message_of_it()
    {
        await using var h = await LineageHarness.StartAsync(options: dir => EngineOptions.Default with
        {
            NakDelay = TimeSpan.FromMilliseconds(200),
            StateDir = Path.Combine(dir, "state"),
            // The snapshot (and the flush of the pending updates) comes with the fourth indexed message, not with time.
            StateSnapshotInterval = TimeSpan.FromHours(1),
            MaxMessagesAwaitingSnapshot = 4,
        });
        // One address trying four users: one alert (grouped by host and source address) folding four records.
        string[] users = ["alice", "bob", "carol", "dave"];
        const string ip = "203.0.113.7";
        await h.PublishAsync(1, [LineageHarness.Login("r1", 1, users[0], ip)]);
        await WaitAsync(h, () => h.Pipeline.Stats.AlertsRaised == 1, "the alert raised by batch 1");
        for (int b = 2; b <= 3; b++)
        {
            await h.PublishAsync((ulong)b, [LineageHarness.Login($"r{b}", b, users[b - 1], ip)]);
            await WaitAsync(h, () => h.Pipeline.Stats.EventsIndexed == b, $"batch {b} indexed");
        }
        // Folded into the open alert, neither indexed nor published yet.
        Assert.Equal((1, 0L), (h.Pipeline.PendingAlertUpdates, h.Pipeline.Stats.AlertsUpdated));

        await h.PublishAsync(4, [LineageHarness.Login("r4", 4, users[3], ip)]);
        await h.WaitSettledAsync();

        Assert.Equal((1L, 1L, 0), (h.Pipeline.Stats.AlertsRaised, h.Pipeline.Stats.AlertsUpdated, h.Pipeline.PendingAlertUpdates));
        Assert.Equal(2UL, (await h.Js.GetStreamAsync(EngineStreams.Alerts, h.Timeout.Token)).State.Messages);
        string dave = h.Subjects.SubjectId("user.name", "dave");
        var alert = Assert.Single(await h.Ledger.AlertsOfSubjectAsync(dave));
        Assert.Equal(["r1", "r2", "r3", "r4"], alert.RecordIds.Order());
        var expectedSubjects = users.Select(u => h.Subjects.SubjectId("user.name", u)).Append(h.Subjects.SubjectId("source.ip", ip));
        Assert.Equal(expectedSubjects.Order(), (await h.Ledger.SubjectsOfAlertsAsync([alert.AlertId]))[alert.AlertId].Order());
        // Both messages the alert was published as are named (a purge fetches exactly those), none unnamed.
        var messages = await h.Ledger.AlertMessagesAsync(EngineStreams.Alerts, dave, [], [], h.Timeout.Token);
        Assert.Equal([alert.AlertId], messages.AlertIds);
        Assert.Equal([1UL, 2UL], messages.Sequences.Order());
        Assert.Equal(0, messages.UnnamedAlerts);
    }

    private static async Task WaitAsync(LineageHarness h, Func<bool> condition, string what)
    {
        while (!condition())
        {
            if (h.Timeout.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(25);
        }
    }
}
