using System.Text.Json.Nodes;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Purge;
using Siem.Engine.Search;
using Siem.Engine.Tests.EsNode;
using Siem.Lineage.Audit;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;

namespace Siem.Engine.Tests;

/// <summary>
/// Right to be forgotten in an Elasticsearch/OpenSearch index: the purge job over the REST API of a node that keeps
/// documents the way Elasticsearch does (refresh visibility, old versions on disk until merged), with the lineage
/// ledger of a data dir and crypto-shredding of PII fields under per-subject keys.
/// </summary>
public sealed class ElasticsearchPurgeTests : IDisposable
{
    private const string Alice = "203.0.113.7", Bob = "198.51.100.20";
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-es-purge-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(25));

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static ElasticsearchOptions Options(Uri url) => new() { Url = url, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 };

    /// <summary>Alice (source.ip A, alice@example.org) and Bob share batches; one alert is Alice's alone, one concerns both.</summary>
    private static (List<LogEvent> Events, AlertDocument AliceOnly, AlertDocument Shared) Dataset()
    {
        var events = new List<LogEvent>();
        var start = Instant.FromUtc(2026, 11, 21, 23, 50);
        for (int i = 0; i < 12; i++)
        {
            bool alice = i % 3 != 2;
            string ip = alice ? Alice : Bob, user = alice ? "alice" : "bob";
            var e = new LogEvent
            {
                RecordId = $"r{i:D2}", AgentId = "agent-1", Timestamp = start + Duration.FromMinutes(2 * i),
                Original = $"Nov 21 23:{50 + i % 10} web1 sshd[{200 + i}]: Failed password for {user} from {ip} port {40000 + i} ssh2",
            };
            e.Set(EcsFields.Message, $"Failed password for {user} from {ip} port {40000 + i} ssh2");
            e.Set(EcsFields.UserName, user);
            e.Set(EcsFields.UserEmail, $"{user}@example.org");
            e.Set(EcsFields.SourceIp, ip);
            e.Set(EcsFields.HostName, "web1");
            events.Add(e);
        }
        var aliceOnly = new AlertDocument
        {
            AlertId = "al-alice", RuleId = "ssh-brute", Title = $"SSH brute force from {Alice}", Level = "high",
            GroupBy = new Dictionary<string, string> { ["source.ip"] = Alice }, RecordIds = ["r00", "r01", "r03"], Count = 3,
            FirstSeen = events[0].Timestamp, LastSeen = events[3].Timestamp,
        };
        var shared = new AlertDocument
        {
            AlertId = "al-spray", RuleId = "ssh-spray", Title = "Password spray on web1", Level = "medium",
            GroupBy = new Dictionary<string, string> { ["host.name"] = "web1" },
            Fields = new Dictionary<string, string> { ["source.ip"] = Alice, ["host.name"] = "web1" },
            RecordIds = ["r00", "r02", "r04", "r05"], Count = 4, FirstSeen = events[0].Timestamp, LastSeen = events[5].Timestamp,
        };
        return (events, aliceOnly, shared);
    }

    private async Task IngestAsync(ElasticsearchIndexSink sink, LineageLedger ledger, SubjectPseudonymizer subjects)
    {
        var (events, aliceOnly, shared) = Dataset();
        var lineage = new PipelineLineage(ledger, subjects, "test-engine", "elasticsearch");
        var now = SystemClock.Instance.GetCurrentInstant();
        for (int b = 0; b < 2; b++)
        {
            var batch = events.Skip(b * 6).Take(6).ToList();
            await sink.WriteAsync(batch, b == 1 ? [aliceOnly, shared] : [], _timeout.Token);
            await ledger.RecordBatchAsync(new BatchLineage("agent-1", (ulong)b + 1, "SIEM_EVENTS", (ulong)b + 1, "test-engine", "elasticsearch", now, now, [.. batch.Select(lineage.Describe)]), _timeout.Token);
        }
        var byRecord = await ledger.SubjectsOfRecordsAsync([.. events.Select(e => e.RecordId)], _timeout.Token);
        await ledger.RecordAlertsAsync(
        [
            .. new[] { aliceOnly, shared }.Select(a => new AlertLineage(a.AlertId, a.RuleId, a.RecordIds,
                lineage.AlertSubjects(a.RecordIds, byRecord, a.GroupBy, a.Fields), "elasticsearch", now)),
        ], _timeout.Token);
    }

    [Fact]
    public async Task A_purge_deletes_the_subjects_documents_redacts_shared_alerts_expunges_old_versions_and_certifies_a_clean_search()
    {
        using var node = new ElasticsearchNode();
        var subjects = SubjectPseudonymizer.Open(_dir);
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        await using var sink = new ElasticsearchIndexSink(Options(node.Url), FieldProtector.Open(_dir, keys));
        await using var ledger = LineageLedger.Open(_dir);
        await IngestAsync(sink, ledger, subjects);

        var coordinator = new PurgeCoordinator(_dir,
            [new IndexPurgeTarget(sink, "elasticsearch"), new LedgerPurgeTarget(ledger, (s, ct) => keys.DestroyKeyAsync(s, ct).AsTask())],
            subjects, new AuditLog(_dir));
        var job = await coordinator.RequestAsync(EcsFields.SourceIp, Alice, "dpo", "erasure request", cancellationToken: _timeout.Token);
        var result = await coordinator.RunAsync(job.Id, "dpo", _timeout.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        var step = result.Job.Steps.Single(s => s.Store == "elasticsearch");
        Assert.Equal(8 + 1, step.Deleted); // 8 of Alice's events, her own alert
        Assert.Equal(1, step.Redacted);    // the spray alert also concerns Bob
        var certStores = result.Certificate["stores"]!.AsArray().Select(s => s!["store"]!.GetValue<string>()).ToList();
        Assert.Contains("elasticsearch", certStores);

        var events = node.IndexNames.Where(n => n.StartsWith("siem-events-", StringComparison.Ordinal)).SelectMany(n => node.Documents(n).Keys).Order().ToList();
        Assert.Equal(["r02", "r05", "r08", "r11"], events);
        var alerts = node.Documents("siem-alerts");
        var spray = Assert.Single(alerts).Value;
        Assert.Equal("al-spray", spray["siem.id"]!.GetValue<string>());
        var stored = spray["siem.alert"]!;
        Assert.Equal(["r02", "r05"], stored["record_ids"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal(IndexPurgeTarget.Redacted, stored["fields"]!["source.ip"]!.GetValue<string>());
        Assert.Equal("web1", stored["fields"]!["host.name"]!.GetValue<string>());
        Assert.Equal(2, stored["count"]!.GetValue<long>());

        // Nothing of Alice on the node's data path: deleted and updated documents were expunged, not only marked.
        var disk = node.StoredText();
        Assert.DoesNotContain(Alice, disk, StringComparison.Ordinal);
        Assert.DoesNotContain("alice", disk, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(Bob, disk, StringComparison.Ordinal);

        // Bob is still searchable, by address and by his (encrypted, blind-indexed) e-mail.
        var bob = await sink.SearchAsync(new SearchRequest { Query = SearchQueryParser.Parse($"source.ip:{Bob}"), Limit = 50 }, _timeout.Token);
        Assert.Equal(4, bob.Count(h => h.Kind == "event"));
        var byEmail = await sink.SearchAsync(new SearchRequest { Query = SearchQueryParser.Parse("user.email:BOB@example.org"), Limit = 50 }, _timeout.Token);
        Assert.Equal(4, byEmail.Count);
        Assert.All(byEmail, h => Assert.Equal("bob@example.org", h.Event!.Get(EcsFields.UserEmail)));

        var paths = node.Requests.Select(r => r.Method + " " + r.Path + r.Query).ToList();
        Assert.Contains(paths, p => p.StartsWith("POST /siem-events-*/_delete_by_query?", StringComparison.Ordinal) && p.Contains("refresh=true", StringComparison.Ordinal));
        Assert.Contains(paths, p => p == "POST /_bulk?refresh=true");
        Assert.Contains(paths, p => p.StartsWith("POST /siem-events-*,siem-alerts/_forcemerge?only_expunge_deletes=true", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Protected_fields_reach_the_cluster_only_encrypted_and_a_purge_shreds_the_copies_nobody_can_reach()
    {
        using var node = new ElasticsearchNode();
        var subjects = SubjectPseudonymizer.Open(_dir);
        using var keys = SqliteSubjectKeyStore.Open(_dir);
        var protector = FieldProtector.Open(_dir, keys);
        await using var sink = new ElasticsearchIndexSink(Options(node.Url), protector);
        await using var ledger = LineageLedger.Open(_dir);
        await IngestAsync(sink, ledger, subjects);
        await sink.RefreshAsync(_timeout.Token);

        var doc = node.Documents("siem-events-2026.11.21")["r00"];
        string sealedEmail = doc["user.email"]!.GetValue<string>();
        Assert.StartsWith(FieldProtector.Prefix, sealedEmail, StringComparison.Ordinal);
        Assert.Equal(protector.BlindIndex(EcsFields.UserEmail, "alice@example.org"), doc["siem.bidx.user.email"]!.GetValue<string>());
        Assert.False(doc.ContainsKey("user.email.bidx"));
        var hits = await sink.SearchAsync(new SearchRequest { Query = SearchQueryParser.Parse("user.email:Alice@Example.org"), Limit = 50 }, _timeout.Token);
        Assert.Equal(8, hits.Count);
        Assert.All(hits, h => Assert.Equal("alice@example.org", h.Event!.Get(EcsFields.UserEmail)));
        var snapshot = (JsonObject)doc.DeepClone(); // a copy the purge cannot reach (a snapshot repository, an export)

        var coordinator = new PurgeCoordinator(_dir,
            [new IndexPurgeTarget(sink, "elasticsearch"), new LedgerPurgeTarget(ledger, (s, ct) => keys.DestroyKeyAsync(s, ct).AsTask())],
            subjects, new AuditLog(_dir));
        var job = await coordinator.RequestAsync(EcsFields.UserEmail, "alice@example.org", "dpo", "erasure", cancellationToken: _timeout.Token);
        var result = await coordinator.RunAsync(job.Id, "dpo", _timeout.Token);

        Assert.True(result.Verified, string.Join("; ", result.Checks.SelectMany(c => c.Where)));
        Assert.Equal(1, result.Job.Steps.Single(s => s.Store == "ledger").Shredded);
        Assert.Null(await protector.RevealAsync(EcsFields.UserEmail, snapshot["user.email"]!.GetValue<string>(), _timeout.Token));
        Assert.Empty(await sink.SearchAsync(new SearchRequest { Query = SearchQueryParser.Parse("user.email:alice@example.org"), Limit = 50 }, _timeout.Token));
        Assert.Equal("bob@example.org", await protector.RevealAsync(EcsFields.UserEmail, node.Documents("siem-events-2026.11.21")["r02"]["user.email"]!.GetValue<string>(), _timeout.Token));
    }

    [Fact]
    public async Task Siem_purge_with_es_purges_an_elasticsearch_backed_deployment_and_prints_a_verified_certificate()
    {
        using var node = new ElasticsearchNode();
        {
            var subjects = SubjectPseudonymizer.Open(_dir);
            using var keys = SqliteSubjectKeyStore.Open(_dir);
            await using var sink = new ElasticsearchIndexSink(Options(node.Url), FieldProtector.Open(_dir, keys));
            await using var ledger = LineageLedger.Open(_dir);
            await IngestAsync(sink, ledger, subjects);
        }

        var (exit, stdout, stderr) = await SearchCommandTests.RunSiemAsync(["purge", "--data", _dir, "--es", node.Url.ToString(), "--subject", $"source.ip={Alice}", "--requested-by", "dpo", "--json"]);

        Assert.True(exit == 0, stderr);
        var cert = JsonNode.Parse(stdout)!.AsObject();
        Assert.True(cert["verified"]!.GetValue<bool>());
        Assert.DoesNotContain(Alice, stdout, StringComparison.Ordinal);
        var es = cert["stores"]!.AsArray().Single(s => s!["store"]!.GetValue<string>() == "elasticsearch")!;
        Assert.Equal(9, es["deleted"]!.GetValue<long>());
        Assert.Equal(1, es["redacted"]!.GetValue<long>());
        Assert.DoesNotContain(Alice, node.StoredText(), StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "index.db")), "an Elasticsearch purge must not create a SQLite index in the data dir");

        var (searchExit, hits, _) = await SearchCommandTests.RunSiemAsync(["search", "--data", _dir, "--es", node.Url.ToString(), "--json", "user.email:bob@example.org"]);
        Assert.Equal(0, searchExit);
        Assert.Equal(4, hits.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("\"bob@example.org\"", hits, StringComparison.Ordinal);
    }
}
