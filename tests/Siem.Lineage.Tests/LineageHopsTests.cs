using System.Text;
using Siem.Lineage.Hops;

namespace Siem.Lineage.Tests;

public sealed class LineageHopsTests
{
    [Fact]
    public async Task An_engine_run_publishes_hops_that_the_ledger_consumer_stores_with_stream_positions_subjects_and_alerts()
    {
        await using var h = await LineageHarness.StartAsync();
        var first = await h.PublishAsync(1, [LineageHarness.Login("r1", 1, "alice", "203.0.113.7"), LineageHarness.Login("r2", 2, "bob", "198.51.100.9", failed: false)]);
        var second = await h.PublishAsync(2, [LineageHarness.Login("r3", 3, "alice", "198.51.100.9", failed: false)]);
        await h.WaitSettledAsync();

        string alice = h.Subjects.SubjectId("user.name", "alice");
        string bob = h.Subjects.SubjectId("user.name", "bob");
        string ip9 = h.Subjects.SubjectId("source.ip", "198.51.100.9");
        var records = await h.Ledger.RecordsOfSubjectAsync(alice);
        Assert.Equal([("r1", first.Seq, 1UL), ("r3", second.Seq, 2UL)], records.Select(r => (r.RecordId, r.StreamSeq, r.BatchSeq)));
        Assert.All(records, r => Assert.Equal(("agent-1", "web1", "file", "/var/log/auth.log", "SIEM_EVENTS", "engine-test", "sqlite"),
            (r.AgentId, r.HostName, r.SourceKind, r.Source, r.Stream, r.EngineInstance, r.Index)));
        Assert.Equal(["r2", "r3"], await h.Ledger.RecordIdsOfSubjectAsync(ip9));
        Assert.Equal(["r2"], await h.Ledger.RecordIdsOfSubjectAsync(bob));

        // The failed login of alice raised one alert built from r1: it concerns alice and her address.
        var alert = Assert.Single(await h.Ledger.AlertsOfSubjectAsync(alice));
        Assert.Equal(["r1"], alert.RecordIds);
        var alertSubjects = (await h.Ledger.SubjectsOfAlertsAsync([alert.AlertId]))[alert.AlertId];
        Assert.Equal(new[] { alice, h.Subjects.SubjectId("source.ip", "203.0.113.7") }.Order(), alertSubjects.Order());
        Assert.Empty(await h.Ledger.AlertsOfSubjectAsync(bob));
        Assert.Equal(0, h.Consumer.Rejected);

        // Pseudonyms only: no identifier value is in the ledger's files.
        foreach (var file in Directory.GetFiles(Path.GetDirectoryName(h.Ledger.DatabasePath)!, "ledger.db*"))
        {
            var bytes = Encoding.Latin1.GetString(File.ReadAllBytes(file));
            foreach (var raw in new[] { "alice", "bob", "203.0.113.7", "198.51.100.9" }) Assert.DoesNotContain(raw, bytes, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_failed_lineage_publish_naks_the_message_and_its_redelivery_records_everything_once()
    {
        var failing = new FailingRecorder(failures: 1);
        await using var h = await LineageHarness.StartAsync(inner => failing.Wrap(inner));
        await h.PublishAsync(1, [LineageHarness.Login("r1", 1, "alice", "203.0.113.7"), LineageHarness.Login("r2", 2, "bob", "198.51.100.9")]);
        await h.WaitSettledAsync();

        Assert.Equal(1, h.Pipeline.LineageErrors);
        Assert.Equal((1L, 1L), (h.Pipeline.Stats.MessagesNaked, h.Pipeline.Stats.MessagesAcked));
        var path = await h.Ledger.RecordPathAsync("r1");
        Assert.Single(path!.Copies);
        Assert.Single(path.Alerts);
        Assert.Equal(["r1"], await h.Ledger.RecordIdsOfSubjectAsync(h.Subjects.SubjectId("user.name", "alice")));
        Assert.Equal(2, (await h.Ledger.StreamMessagesOfRecordsAsync(["r1"]))[0].RecordIds.Count);
    }

    [Fact]
    public async Task A_hop_that_is_not_lineage_json_is_terminated_and_counted_not_retried()
    {
        await using var h = await LineageHarness.StartAsync();
        await h.Js.PublishAsync(LineageStreams.BatchSubject, "not json"u8.ToArray(), cancellationToken: h.Timeout.Token);
        await h.WaitSettledAsync();
        Assert.Equal(1, h.Consumer.Rejected);
    }

    /// <summary>Fails the first <c>failures</c> batch reports, then passes everything to the real recorder.</summary>
    private sealed class FailingRecorder(int failures) : ILineageRecorder
    {
        private ILineageRecorder _inner = null!;
        private int _left = failures;

        public ILineageRecorder Wrap(ILineageRecorder inner)
        {
            _inner = inner;
            return this;
        }

        public ValueTask RecordBatchAsync(BatchLineage batch, CancellationToken cancellationToken = default) =>
            Interlocked.Decrement(ref _left) >= 0 ? throw new IOException("lineage stream unavailable (injected)") : _inner.RecordBatchAsync(batch, cancellationToken);

        public ValueTask RecordAlertsAsync(IReadOnlyList<AlertLineage> alerts, CancellationToken cancellationToken = default) => _inner.RecordAlertsAsync(alerts, cancellationToken);

        public ValueTask RecordDeliveryAsync(DeliveryLineage delivery, CancellationToken cancellationToken = default) => _inner.RecordDeliveryAsync(delivery, cancellationToken);
    }
}
