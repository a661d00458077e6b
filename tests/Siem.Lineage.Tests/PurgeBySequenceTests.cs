using System.Text;
using NodaTime;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Pipeline;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Lineage.Tests;

/// <summary>
/// The JetStream purge fetches the alerts-stream messages the ledger names by sequence instead of reading the stream,
/// and reads it whole when the ledger cannot name them all. Real nats-server, real SQLite ledger.
/// </summary>
public sealed class PurgeBySequenceTests
{
    private const string AliceIp = "10.9.8.7", BobIp = "10.9.8.71";
    private static readonly Instant At = Instant.FromUtc(2026, 11, 22, 3, 0);

    [Fact]
    public async Task A_purge_of_one_subject_among_5000_alerts_fetches_exactly_the_messages_the_ledger_names_and_reads_notices_through_a_filter()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var f = await Fixture.StartAsync(cts.Token);
        await f.RecordPeopleAsync(cts.Token);
        // 5,000 alerts of other people, with alice's alert states in between.
        await f.PublishOthersAsync(0, 2500, cts.Token);
        for (int count = 1; count <= 3; count++) await f.PublishAlertAsync("alert-alice-1", ["alice-r1"], AliceIp, count, recordHop: true, cts.Token);
        await f.PublishAlertAsync("alert-shared", ["alice-r2", "bob-r1"], AliceIp, 1, recordHop: true, cts.Token);
        await f.PublishOthersAsync(2500, 2500, cts.Token);
        await f.PublishAlertAsync("alert-alice-2", ["alice-r2"], AliceIp, 1, recordHop: true, cts.Token);
        // A later state whose hop the ledger consumer has not stored yet: it waits in the lineage stream.
        ulong pending = await f.PublishAlertAsync("alert-alice-2", ["alice-r2"], AliceIp, 2, recordHop: false, cts.Token);
        await f.Js.PublishAsync(LineageStreams.AlertSubject, LineageJson.Encode(new AlertLineage("alert-alice-2", "rule-1", ["alice-r2"], [f.AliceId], "sqlite", At, EngineStreams.Alerts, pending)), cancellationToken: cts.Token);
        // A resolution notice of alice's alert: no hop names it.
        await f.Js.PublishAsync("siem.alerts.resolved.high", Encoding.UTF8.GetBytes($"{{\"alert_id\":\"alert-alice-1\",\"group_by\":{{\"source.ip\":\"{AliceIp}\"}}}}"), cancellationToken: cts.Token);

        var scope = await f.ScopeAsync(cts.Token);
        var result = await f.Target.PurgeAsync(scope, cts.Token);

        Assert.True(result.Note!.Contains("SIEM_ALERTS: by ledger sequence, 6 named, 6 read; siem.alerts.resolved.> read through a filter, 1 read; 7 erased", StringComparison.Ordinal), result.Note);
        var info = await f.Js.GetStreamAsync(EngineStreams.Alerts, cts.Token);
        Assert.Equal(5000UL, info.State.Messages);
        Assert.Equal(0, info.State.ConsumerCount);
        // The verification still reads every message: nothing of alice's left, every other alert still there.
        var check = await f.Target.VerifyAsync(scope, cts.Token);
        Assert.True(check.Clean, string.Join("; ", check.Where));
        await foreach (var msg in StreamMessages.AllAsync(f.Js, EngineStreams.Alerts, [], cts.Token))
            Assert.StartsWith("{\"alert_id\":\"other-", Encoding.UTF8.GetString(msg.Data.Span), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_alert_whose_hop_named_no_message_makes_the_purge_read_the_alerts_stream_whole_and_the_certificate_says_why()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var f = await Fixture.StartAsync(cts.Token);
        await f.RecordPeopleAsync(cts.Token);
        await f.PublishOthersAsync(0, 300, cts.Token);
        await f.PublishAlertAsync("alert-alice-1", ["alice-r1"], AliceIp, 1, recordHop: true, cts.Token);
        // A state recorded by an engine from before alert sequences: its hop names no message.
        await f.PublishAlertAsync("alert-alice-1", ["alice-r1"], AliceIp, 2, recordHop: false, cts.Token);
        await f.Ledger.RecordAlertsAsync([new AlertLineage("alert-alice-1", "rule-1", ["alice-r1"], [f.AliceId], "sqlite", At)], cts.Token);

        var scope = await f.ScopeAsync(cts.Token);
        var result = await f.Target.PurgeAsync(scope, cts.Token);

        Assert.True(result.Note!.Contains("SIEM_ALERTS: read whole, 302 read, 2 erased (1 alert(s) of the subject have messages the ledger does not name)", StringComparison.Ordinal), result.Note);
        Assert.Equal(300UL, (await f.Js.GetStreamAsync(EngineStreams.Alerts, cts.Token)).State.Messages);
        Assert.True((await f.Target.VerifyAsync(scope, cts.Token)).Clean);
    }

    [Fact]
    public async Task A_stream_holding_messages_from_before_the_ledger_named_them_is_read_whole()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var f = await Fixture.StartAsync(cts.Token);
        await f.RecordPeopleAsync(cts.Token);
        // Published before this version: alice's alert among them, and no hop names any of them.
        await f.PublishOthersAsync(0, 50, cts.Token, beforeSequences: true);
        await f.PublishAlertAsync("alert-old", ["alice-r1"], AliceIp, 1, recordHop: false, cts.Token);
        await f.PublishAlertAsync("alert-alice-1", ["alice-r1"], AliceIp, 1, recordHop: true, cts.Token);

        var scope = await f.ScopeAsync(cts.Token);
        var result = await f.Target.PurgeAsync(scope, cts.Token);

        Assert.True(result.Note!.Contains("SIEM_ALERTS: read whole, 52 read, 2 erased (it holds messages from before the ledger named them: first message 1, first named 52)", StringComparison.Ordinal), result.Note);
        Assert.True((await f.Target.VerifyAsync(scope, cts.Token)).Clean);
    }

    [Fact]
    public void An_alert_hop_names_its_message_on_the_wire_and_a_hop_from_before_alert_sequences_still_decodes()
    {
        var hop = new AlertLineage("alert-1", "rule-1", ["r1"], ["subject-a"], "sqlite", At, EngineStreams.Alerts, 42);
        var decoded = LineageJson.DecodeAlert(LineageJson.Encode(hop));
        Assert.Equal((hop.AlertId, hop.RuleId, hop.Index, hop.At, EngineStreams.Alerts, (ulong?)42), (decoded.AlertId, decoded.RuleId, decoded.Index, decoded.At, decoded.Stream, decoded.StreamSeq));
        Assert.Equal(["r1"], decoded.RecordIds);
        Assert.Equal(["subject-a"], decoded.SubjectIds);
        var old = LineageJson.DecodeAlert("{\"alert_id\":\"alert-1\",\"rule_id\":\"rule-1\",\"records\":[\"r1\"],\"subjects\":[],\"index\":\"sqlite\",\"at\":0}"u8);
        Assert.Null(old.Stream);
        Assert.Null(old.StreamSeq);
        var broken = Assert.Throws<FormatException>(() => LineageJson.DecodeAlert("{\"alert_id\":\"a\",\"rule_id\":\"r\",\"records\":[],\"subjects\":[],\"index\":\"sqlite\",\"at\":0,\"stream\":\"SIEM_ALERTS\"}"u8));
        Assert.Contains("\"stream_seq\" is missing", broken.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_ledger_from_before_alert_sequences_gains_the_column_and_its_alerts_stay_unnamed_even_after_a_named_hop()
    {
        var dir = Directory.CreateTempSubdirectory("siem-ledger-old-").FullName;
        try
        {
            var path = LineagePaths.Ledger(dir);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using (var db = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={path};Pooling=False"))
            {
                db.Open();
                using var cmd = db.CreateCommand();
                // The alerts table as ledgers before this version created it, with one alert of alice.
                cmd.CommandText = """
                    CREATE TABLE alerts (alert_id TEXT NOT NULL PRIMARY KEY, rule_id TEXT NOT NULL, idx TEXT NOT NULL, at INTEGER NOT NULL) WITHOUT ROWID;
                    CREATE TABLE alert_subjects (subject_id TEXT NOT NULL, alert_id TEXT NOT NULL, PRIMARY KEY (subject_id, alert_id)) WITHOUT ROWID;
                    INSERT INTO alerts VALUES ('alert-old', 'rule-1', 'sqlite', 0);
                    INSERT INTO alert_subjects VALUES ('subject-a', 'alert-old');
                    """;
                cmd.ExecuteNonQuery();
            }
            await using var ledger = LineageLedger.Open(dir);
            await ledger.RecordAlertsAsync([
                new AlertLineage("alert-old", "rule-1", [], ["subject-a"], "sqlite", At, EngineStreams.Alerts, 7),
                new AlertLineage("alert-new", "rule-1", [], ["subject-a"], "sqlite", At, EngineStreams.Alerts, 9),
            ]);

            var named = await ledger.AlertMessagesAsync(EngineStreams.Alerts, "subject-a", [], []);

            Assert.Equal(["alert-new", "alert-old"], named.AlertIds);
            Assert.Equal([7UL, 9UL], named.Sequences);
            Assert.Equal(1, named.UnnamedAlerts);
            Assert.Equal(7UL, named.FirstNamedSeq);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task The_engine_names_each_published_alert_message_in_its_hop_and_the_purge_fetches_it_by_sequence()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var h = await PurgeHarness.StartAsync();
        h.StartEngine(PurgeDetectionStateTests.BruteForceDetector());
        // Ten failures from alice's address in one batch: the brute-force correlation raises one alert.
        await h.PublishAsync([.. Enumerable.Range(0, 10).Select(i => PurgeDetectionStateTests.Failure($"a{i}", "alice", AliceIp, 2))]);
        await h.WaitIndexedAsync(10, cts.Token);
        string aliceId = h.Subjects.SubjectId("source.ip", AliceIp);
        LedgerAlertMessages named;
        while ((named = await h.Ledger.AlertMessagesAsync(EngineStreams.Alerts, aliceId, [], [], cts.Token)).Sequences.Count == 0) await Task.Delay(50, cts.Token);

        // Every alert of alice named, each named message one of hers; the stream holds nothing else.
        Assert.Equal(0, named.UnnamedAlerts);
        foreach (var seq in named.Sequences)
            Assert.Contains((await h.Js.GetMsgAsync(EngineStreams.Alerts, seq, cts.Token)).Headers!["Siem-Alert-Id"], named.AlertIds);
        Assert.Equal((ulong)named.Sequences.Count, (await h.Js.GetStreamAsync(EngineStreams.Alerts, cts.Token)).State.Messages);

        var coordinator = h.Coordinator();
        var job = await coordinator.RequestAsync("source.ip", AliceIp, "dpo@example.org", "GDPR art. 17", cancellationToken: cts.Token);
        var result = await coordinator.RunAsync(job.Id, "dpo@example.org", cts.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        var jetstream = result.Certificate["stores"]!.AsArray().Single(s => (string?)s!["store"] == "jetstream")!;
        int n = named.Sequences.Count;
        Assert.True(((string?)jetstream["note"])!.Contains($"SIEM_ALERTS: by ledger sequence, {n} named, {n} read; siem.alerts.resolved.> read through a filter, 0 read; {n} erased", StringComparison.Ordinal), (string?)jetstream["note"]);
        Assert.Equal(0UL, (await h.Js.GetStreamAsync(EngineStreams.Alerts, cts.Token)).State.Messages);
    }

    /// <summary>A real nats-server with the engine's and the lineage streams, a ledger in a temp dir, and the JetStream target over both.</summary>
    private sealed class Fixture : IAsyncDisposable
    {
        public required NatsServer Server { get; init; }
        public required NatsConnection Connection { get; init; }
        public required NatsJSContext Js { get; init; }
        public required string Dir { get; init; }
        public required LineageLedger Ledger { get; init; }
        public required SubjectPseudonymizer Subjects { get; init; }
        public required JetStreamPurgeTarget Target { get; init; }
        public string AliceId => Subjects.SubjectId("source.ip", AliceIp);

        public static async Task<Fixture> StartAsync(CancellationToken ct)
        {
            var server = await NatsServer.StartAsync();
            var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
            await connection.ConnectAsync(ct);
            var js = new NatsJSContext(connection);
            await EngineStreams.EnsureAsync(js, ct);
            await LineageStreams.EnsureAsync(js, ct);
            var dir = Directory.CreateTempSubdirectory("siem-purge-seq-").FullName;
            var ledger = LineageLedger.Open(dir);
            var subjects = SubjectPseudonymizer.Open(dir);
            var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair>(), new AgentRegistry());
            return new Fixture
            {
                Server = server, Connection = connection, Js = js, Dir = dir, Ledger = ledger, Subjects = subjects,
                Target = new JetStreamPurgeTarget(js, opener, null, subjects, JetStreamPurgeOptions.Default with { Ledger = ledger }),
            };
        }

        /// <summary>Alice's two records and bob's one, as the engine reported their batch.</summary>
        public Task RecordPeopleAsync(CancellationToken ct)
        {
            string bobId = Subjects.SubjectId("source.ip", BobIp);
            return Ledger.RecordBatchAsync(new BatchLineage("agent-1", 1, EngineStreams.Events, 1, "test-engine", "sqlite", At, At,
            [
                new RecordLineage("alice-r1", "web1", "file", "/var/log/auth.log", 0, At, [AliceId]),
                new RecordLineage("alice-r2", "web1", "file", "/var/log/auth.log", 100, At, [AliceId]),
                new RecordLineage("bob-r1", "web1", "file", "/var/log/auth.log", 200, At, [bobId]),
            ]), ct).AsTask();
        }

        /// <summary>
        /// Other people's alerts, published in windows of 250 PubAcks, their hops naming their messages as the engine
        /// records them (none with <paramref name="beforeSequences"/>: published by an engine before this version).
        /// </summary>
        public async Task PublishOthersAsync(int from, int count, CancellationToken ct, bool beforeSequences = false)
        {
            for (int i = from; i < from + count; i += 250)
            {
                var ids = Enumerable.Range(i, Math.Min(250, from + count - i)).ToList();
                var acks = await Task.WhenAll(ids.Select(n => Js.PublishAsync("siem.alerts.high",
                    Encoding.UTF8.GetBytes($"{{\"alert_id\":\"other-{n}\",\"record_ids\":[\"o-{n}\"],\"group_by\":{{\"source.ip\":\"10.20.{n / 250}.{n % 250}\"}}}}"),
                    new NatsHeaders { { "Siem-Alert-Id", $"other-{n}" } }, $"other-{n}:1", ct)));
                await Ledger.RecordAlertsAsync([.. ids.Select((n, k) => new AlertLineage($"other-{n}", "rule-1", [$"o-{n}"], [$"subject-{n}"], "sqlite", At,
                    beforeSequences ? null : acks[k].Stream, beforeSequences ? null : acks[k].Seq))], ct);
            }
        }

        /// <summary>One state of an alert naming alice's address; with <paramref name="recordHop"/> its hop (naming the message) goes into the ledger.</summary>
        public async Task<ulong> PublishAlertAsync(string alertId, string[] recordIds, string ip, int count, bool recordHop, CancellationToken ct)
        {
            var body = Encoding.UTF8.GetBytes($"{{\"alert_id\":\"{alertId}\",\"count\":{count},\"record_ids\":[{string.Join(',', recordIds.Select(r => $"\"{r}\""))}],\"group_by\":{{\"source.ip\":\"{ip}\"}}}}");
            var ack = await Js.PublishAsync("siem.alerts.high", body, new NatsHeaders { { "Siem-Alert-Id", alertId } }, $"{alertId}:{count}", ct);
            if (recordHop)
                await Ledger.RecordAlertsAsync([new AlertLineage(alertId, "rule-1", recordIds, [AliceId], "sqlite", At, ack.Stream, ack.Seq)], ct);
            return ack.Seq;
        }

        public async Task<PurgeScope> ScopeAsync(CancellationToken ct)
        {
            var scope = new PurgeScope { JobId = "purge-test", DataDir = Dir, Field = "source.ip", SubjectId = AliceId, Value = AliceIp };
            await new LedgerPurgeTarget(Ledger).DiscoverAsync(scope, ct);
            return scope;
        }

        public async ValueTask DisposeAsync()
        {
            await Ledger.DisposeAsync();
            await Connection.DisposeAsync();
            await Server.DisposeAsync();
            try { Directory.Delete(Dir, recursive: true); } catch (IOException) { }
        }
    }
}
