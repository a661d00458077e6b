using System.Text;
using NodaTime;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using static Siem.Lineage.Tests.LedgerFixture;

namespace Siem.Lineage.Tests;

public sealed class LedgerTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-ledger-").FullName;
    private LineageLedger _ledger = null!;

    public Task InitializeAsync()
    {
        _ledger = LineageLedger.Open(_dir);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _ledger.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>alice (A) and bob (B) share batch 1; bob alone in batch 2; alert x concerns both, alert y only alice.</summary>
    private async Task SeedAsync()
    {
        await _ledger.RecordBatchAsync(Batch(1, Record("r1", 1, "A"), Record("r2", 2, "A", "B"), Record("r3", 3, "B")));
        await _ledger.RecordBatchAsync(Batch(2, Record("r4", 4, "B")));
        await _ledger.RecordAlertsAsync([Alert("x", ["r2", "r3"]), Alert("y", ["r1"], "A")]);
        await _ledger.RecordDeliveryAsync(new DeliveryLineage("x", "slack", "delivered", T0 + Duration.FromHours(2), null));
        await _ledger.RecordDeliveryAsync(new DeliveryLineage("y", "webhook", "dead_lettered", T0 + Duration.FromHours(2), "/d/alert-dead-letter.jsonl"));
    }

    [Fact]
    public async Task Records_of_a_subject_carry_their_whole_source_and_stream_hop_and_honour_a_time_scope()
    {
        await SeedAsync();
        var records = await _ledger.RecordsOfSubjectAsync("A");
        Assert.Equal(["r1", "r2"], records.Select(r => r.RecordId));
        Assert.Equal(new LedgerRecord("r1", "agent-1", "web1", "file", "/var/log/auth.log", 100, T0 + Duration.FromMinutes(1), 1, "SIEM_EVENTS", 1,
            "engine-a", "sqlite", T0 + Duration.FromHours(1), T0 + Duration.FromHours(1) + Duration.FromSeconds(1)), records[0]);
        Assert.Equal(["r3"], await _ledger.RecordIdsOfSubjectAsync("B", T0 + Duration.FromMinutes(3), T0 + Duration.FromMinutes(4)));
    }

    [Fact]
    public async Task Alerts_inherit_the_subjects_of_their_records_and_are_found_by_subject_or_record()
    {
        await SeedAsync();
        Assert.Equal(["x", "y"], (await _ledger.AlertsOfSubjectAsync("A")).Select(a => a.AlertId));
        Assert.Equal(["x"], (await _ledger.AlertsOfSubjectAsync("B")).Select(a => a.AlertId));
        var ofRecords = await _ledger.AlertsOfRecordsAsync(["r3", "r4"]);
        Assert.Equal("x", Assert.Single(ofRecords).AlertId);
        Assert.Equal(["r2", "r3"], ofRecords[0].RecordIds);
        var subjects = await _ledger.SubjectsOfAlertsAsync(["x", "y"]);
        Assert.Equal(["A", "B"], subjects["x"]);
        Assert.Equal(["A"], subjects["y"]);
    }

    [Fact]
    public async Task Stream_messages_list_every_record_they_carried_and_deliveries_are_kept_per_alert()
    {
        await SeedAsync();
        var messages = await _ledger.StreamMessagesOfRecordsAsync(["r1"]);
        var m = Assert.Single(messages);
        Assert.Equal(("SIEM_EVENTS", 1UL, "agent-1", 1UL), (m.Stream, m.StreamSeq, m.AgentId, m.BatchSeq));
        Assert.Equal(["r1", "r2", "r3"], messages[0].RecordIds);
        var deliveries = await _ledger.DeliveriesOfAlertsAsync(["x", "y"]);
        Assert.Equal([("x", "slack", "delivered", (string?)null), ("y", "webhook", "dead_lettered", "/d/alert-dead-letter.jsonl")],
            deliveries.OrderBy(d => d.AlertId).Select(d => (d.AlertId, d.Channel, d.Outcome, d.DeadLetterId)));
    }

    [Fact]
    public async Task Recording_the_same_hops_again_stores_nothing_twice()
    {
        await SeedAsync();
        await SeedAsync();
        Assert.Equal(2, (await _ledger.RecordsOfSubjectAsync("A")).Count);
        Assert.Equal(2, (await _ledger.DeliveriesOfAlertsAsync(["x", "y"])).Count);
        Assert.Equal(["r2", "r3"], (await _ledger.AlertPathAsync("x"))!.Alert.RecordIds);
    }

    [Fact]
    public async Task A_record_the_broker_kept_twice_has_two_copies()
    {
        await SeedAsync();
        await _ledger.RecordBatchAsync(Batch(9, Record("r1", 1, "A")));
        var path = await _ledger.RecordPathAsync("r1");
        Assert.Equal([1UL, 9UL], path!.Copies.Select(c => c.StreamSeq));
        Assert.Equal(2, (await _ledger.StreamMessagesOfRecordsAsync(["r1"])).Count);
    }

    [Fact]
    public async Task Tombstoning_a_subject_removes_its_records_deletes_its_own_alerts_redacts_shared_ones_and_is_idempotent()
    {
        await SeedAsync();
        var result = await _ledger.TombstoneSubjectAsync("A", "purge-1", at: T0 + Duration.FromDays(1));
        Assert.Equal((2, 2, 1, 1, 1), (result.RecordCopies, result.Records, result.AlertsDeleted, result.AlertsRedacted, result.Deliveries));
        Assert.Equal(new LedgerTombstone("A", "purge-1", 2, 1, 1, T0 + Duration.FromDays(1)), result.Tombstone);
        Assert.Equal(0, await _ledger.CountSubjectRowsAsync("A"));
        Assert.Null(await _ledger.RecordPathAsync("r1"));
        Assert.Null(await _ledger.AlertPathAsync("y"));
        // Shared alert x keeps bob and his record r3, loses r2 (it carried alice).
        var x = await _ledger.AlertPathAsync("x");
        Assert.Equal(["r3"], x!.Alert.RecordIds);
        Assert.Equal(1, x.SubjectCount);
        Assert.Equal(["r3", "r4"], await _ledger.RecordIdsOfSubjectAsync("B"));

        var again = await _ledger.TombstoneSubjectAsync("A", "purge-1");
        Assert.Equal((0, 0, 0, 0), (again.RecordCopies, again.AlertsDeleted, again.AlertsRedacted, again.Deliveries));
        Assert.Equal(result.Tombstone, again.Tombstone);
        Assert.Equal([result.Tombstone], await _ledger.TombstonesOfAsync("A"));
    }

    [Fact]
    public async Task After_a_tombstone_the_record_ids_of_the_subject_are_gone_from_the_database_files()
    {
        await SeedAsync();
        await _ledger.RecordBatchAsync(Batch(3, Record("only-alice-record-zq", 5, "A")));
        await _ledger.TombstoneSubjectAsync("A", "purge-1");
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(_ledger.DatabasePath)!))
            Assert.DoesNotContain("only-alice-record-zq", Encoding.Latin1.GetString(File.ReadAllBytes(file)), StringComparison.Ordinal);
    }
}
