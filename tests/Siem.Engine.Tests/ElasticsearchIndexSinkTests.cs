using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

public sealed class ElasticsearchIndexSinkTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-es-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ElasticsearchOptions Options(Uri url) => new()
    {
        Url = url, Username = "siem", Password = "pa55word", DeadLetterPath = Path.Combine(_dir, "es-dead-letter.jsonl"),
        BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20),
    };

    private static (int, string) Ok(string body = "{\"acknowledged\":true}") => (200, body);

    private static readonly AlertDocument Alert = new()
    {
        AlertId = "al-1", RuleId = "ssh-brute", Title = "SSH Brute Force", Level = "high", Tags = ["attack.t1110"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "10.0.0.5" }, RecordIds = ["rec000", "rec002"], Count = 2,
        FirstSeen = TestEvents.Base, LastSeen = TestEvents.Base + Duration.FromMinutes(2),
    };

    [Fact]
    public async Task First_write_puts_the_templates_then_bulk_indexes_into_daily_indices_with_record_ids_as_document_ids()
    {
        using var peer = new ElasticsearchPeer((r, _) => r.Path == "/_bulk" ? (200, ElasticsearchPeer.BulkAnswer(r.Body, _ => 201)) : Ok());
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url));

        await sink.WriteAsync(TestEvents.SshBatch(), [Alert], _timeout.Token);
        await sink.WriteAsync(TestEvents.SshBatch()[..1], [], _timeout.Token);

        var requests = peer.Requests.ToList();
        Assert.Equal(["PUT /_index_template/siem-events", "PUT /_index_template/siem-alerts", "POST /_bulk", "POST /_bulk"], requests.Select(r => $"{r.Method} {r.Path}"));
        Assert.All(requests, r => Assert.Equal("Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes("siem:pa55word")), r.Headers["Authorization"]));

        using var template = JsonDocument.Parse(requests[0].Body);
        Assert.Equal("siem-events-*", template.RootElement.GetProperty("index_patterns")[0].GetString());
        var props = template.RootElement.GetProperty("template").GetProperty("mappings").GetProperty("properties");
        Assert.Equal("date", props.GetProperty("@timestamp").GetProperty("type").GetString());
        Assert.Equal("ip", props.GetProperty("source").GetProperty("properties").GetProperty("ip").GetProperty("type").GetString());
        Assert.Equal("keyword", props.GetProperty("user").GetProperty("properties").GetProperty("name").GetProperty("type").GetString());
        Assert.Equal("text", props.GetProperty("message").GetProperty("type").GetString());
        Assert.Equal("keyword", props.GetProperty("message").GetProperty("fields").GetProperty("keyword").GetProperty("type").GetString());
        var dynamic = template.RootElement.GetProperty("template").GetProperty("mappings").GetProperty("dynamic_templates")[0].GetProperty("strings_as_keywords");
        Assert.Equal("string", dynamic.GetProperty("match_mapping_type").GetString());
        Assert.Equal("keyword", dynamic.GetProperty("mapping").GetProperty("type").GetString());

        var bulk = requests[2];
        Assert.StartsWith("application/x-ndjson", bulk.Headers["Content-Type"]);
        Assert.EndsWith("\n", bulk.Body);
        var lines = bulk.Body.TrimEnd('\n').Split('\n');
        Assert.Equal(18, lines.Length);
        Assert.Equal("{\"index\":{\"_index\":\"siem-events-2026.11.21\",\"_id\":\"rec000\"}}", lines[0]);
        Assert.Equal("{\"index\":{\"_index\":\"siem-events-2026.11.21\",\"_id\":\"rec001\"}}", lines[2]);
        Assert.Equal("{\"index\":{\"_index\":\"siem-events-2026.11.22\",\"_id\":\"rec002\"}}", lines[4]);
        Assert.Equal("{\"index\":{\"_index\":\"siem-alerts\",\"_id\":\"al-1\"}}", lines[16]);
        using var first = JsonDocument.Parse(lines[1]);
        Assert.Equal("2026-11-21T23:58:00Z", first.RootElement.GetProperty("@timestamp").GetString());
        Assert.Equal("rec000", first.RootElement.GetProperty("siem.id").GetString());
        Assert.Equal("agent-1", first.RootElement.GetProperty("siem.agent_id").GetString());
        Assert.Equal("root", first.RootElement.GetProperty("user.name").GetString());
        Assert.Equal("10.0.0.5", first.RootElement.GetProperty("source.ip").GetString());
        Assert.Equal(["authentication", "session"], first.RootElement.GetProperty("event.category").EnumerateArray().Select(x => x.GetString()));
        Assert.Equal(TestEvents.SshBatch()[0].Original, first.RootElement.GetProperty("event.original").GetString());
        using var alert = JsonDocument.Parse(lines[17]);
        Assert.Equal("ssh-brute", alert.RootElement.GetProperty("rule.id").GetString());
        Assert.Equal("10.0.0.5", alert.RootElement.GetProperty("source.ip").GetString());
        Assert.Equal("al-1", alert.RootElement.GetProperty("siem.alert").GetProperty("alert_id").GetString());
        // A redelivered event is the same action with the same _id: Elasticsearch overwrites, nothing is duplicated.
        Assert.Equal(lines[0] + "\n" + lines[1] + "\n", requests[3].Body);
        Assert.Equal(10, sink.Written);
    }

    [Fact]
    public async Task Item_429_is_retried_alone_and_item_400_is_dead_lettered_with_the_reason_not_retried()
    {
        using var peer = new ElasticsearchPeer((r, n) => r.Path != "/_bulk" ? Ok()
            : (200, ElasticsearchPeer.BulkAnswer(r.Body, id => (n, id) switch { (0, "rec001") => 429, (0, "rec002") => 400, _ => 201 })));
        var options = Options(peer.Url);
        await using var sink = new ElasticsearchIndexSink(options);

        await sink.WriteAsync(TestEvents.SshBatch()[..4], [], _timeout.Token);

        var bulks = peer.On("/_bulk").ToList();
        Assert.Equal(2, bulks.Count);
        Assert.Equal(8, bulks[0].Body.TrimEnd('\n').Split('\n').Length);
        var retry = bulks[1].Body.TrimEnd('\n').Split('\n');
        Assert.Equal(2, retry.Length);
        Assert.Equal("{\"index\":{\"_index\":\"siem-events-2026.11.21\",\"_id\":\"rec001\"}}", retry[0]);
        Assert.Equal(3, sink.Written);
        Assert.Equal(1, sink.DeadLettered);
        Assert.Equal(1, sink.Retries);

        var dead = Assert.Single(File.ReadAllLines(options.DeadLetterPath!));
        using var doc = JsonDocument.Parse(dead);
        Assert.Equal("rec002", doc.RootElement.GetProperty("id").GetString());
        Assert.Equal("siem-events-2026.11.22", doc.RootElement.GetProperty("index").GetString());
        Assert.Equal(400, doc.RootElement.GetProperty("status").GetInt32());
        Assert.Equal("mapper_parsing_exception", doc.RootElement.GetProperty("error").GetProperty("type").GetString());
        Assert.Equal("rec002", doc.RootElement.GetProperty("document").GetProperty("siem.id").GetString());
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(options.DeadLetterPath!));
        Assert.DoesNotContain("pa55word", File.ReadAllText(options.DeadLetterPath!));
    }

    [Fact]
    public async Task A_whole_request_429_storm_holds_the_write_until_the_cluster_takes_it()
    {
        const string busy = "{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected\"}],\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected\"},\"status\":429}";
        using var peer = new ElasticsearchPeer((r, n) => r.Path != "/_bulk" ? Ok()
            : n < 5 ? (429, busy) : (200, ElasticsearchPeer.BulkAnswer(r.Body, _ => 201)));
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url));

        await sink.WriteAsync(TestEvents.SshBatch(), [], _timeout.Token);

        var bulks = peer.On("/_bulk").ToList();
        Assert.Equal(6, bulks.Count);
        Assert.All(bulks, b => Assert.Equal(bulks[0].Body, b.Body));
        Assert.Equal(8, sink.Written);
        Assert.Equal(5, sink.Retries);
        Assert.Equal(0, sink.DeadLettered);
    }

    [Fact]
    public async Task With_finite_retries_a_cluster_that_stays_busy_fails_the_write_so_the_pipeline_naks()
    {
        using var peer = new ElasticsearchPeer((r, _) => r.Path != "/_bulk" ? Ok() : (503, "{\"error\":\"unavailable\",\"status\":503}"));
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url) with { MaxRetries = 2 });

        var ex = await Assert.ThrowsAsync<ElasticsearchException>(() => sink.WriteAsync(TestEvents.SshBatch(), [], _timeout.Token));

        Assert.Equal(503, ex.StatusCode);
        Assert.Contains("POST /_bulk: HTTP 503", ex.Message);
        Assert.DoesNotContain("pa55word", ex.Message);
        Assert.Equal(3, peer.On("/_bulk").Count());
    }

    [Fact]
    public async Task Search_translates_the_query_and_reads_events_and_alerts_from_hits()
    {
        var stored = TestEvents.SshBatch()[0];
        using var peer = new ElasticsearchPeer((r, _) => r.Path.EndsWith("/_count", StringComparison.Ordinal) ? (200, "{\"count\":7,\"_shards\":{\"total\":1,\"successful\":1,\"skipped\":0,\"failed\":0}}")
            : (200, "{\"took\":2,\"timed_out\":false,\"hits\":{\"total\":{\"value\":2,\"relation\":\"eq\"},\"hits\":["
                + "{\"_index\":\"siem-alerts\",\"_id\":\"al-1\",\"_source\":" + AlertSource() + "},"
                + "{\"_index\":\"siem-events-2026.11.21\",\"_id\":\"rec000\",\"_source\":" + EventSource(stored) + "}]}}"));
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url) with { ApiKey = "a2V5aWQ6c2VjcmV0" });
        var request = SearchRequest.Parse("user.name:ROOT AND \"failed password\" AND NOT source.ip:10.0.0.6") with
        {
            From = Instant.FromUtc(2026, 11, 21, 0, 0), To = Instant.FromUtc(2026, 11, 23, 0, 0), Limit = 50,
        };

        var hits = await sink.SearchAsync(request, _timeout.Token);
        long count = await sink.CountAsync(request, _timeout.Token);

        var search = peer.Requests.First();
        Assert.Equal("/siem-events-*,siem-alerts/_search", search.Path);
        Assert.Equal("ApiKey a2V5aWQ6c2VjcmV0", search.Headers["Authorization"]);
        // a AND b AND NOT c: one must list (the chain flattened), inside the time filter.
        const string query = "{\"bool\":{\"must\":[{\"bool\":{\"must\":[{\"term\":{\"user.name\":{\"value\":\"ROOT\",\"case_insensitive\":true}}},"
            + "{\"match_phrase\":{\"siem.text\":\"failed password\"}},{\"bool\":{\"must_not\":[{\"term\":{\"source.ip\":\"10.0.0.6\"}}]}}]}}],"
            + "\"filter\":[{\"range\":{\"@timestamp\":{\"gte\":\"2026-11-21T00:00:00Z\",\"lt\":\"2026-11-23T00:00:00Z\",\"format\":\"strict_date_optional_time_nanos\"}}}]}}";
        Assert.Equal("{\"size\":50,\"sort\":[{\"@timestamp\":\"desc\"},{\"siem.id\":\"desc\"}],\"query\":" + query + "}", search.Body);
        Assert.Equal("{\"query\":" + query + "}", peer.On("/siem-events-*,siem-alerts/_count").Single().Body);
        Assert.Equal(7, count);

        Assert.Equal(["alert", "event"], hits.Select(h => h.Kind));
        Assert.Equal("al-1", hits[0].Alert!.AlertId);
        Assert.Equal(2, hits[0].Alert!.Count);
        var e = hits[1].Event!;
        Assert.Equal("rec000", e.RecordId);
        Assert.Equal(stored.Timestamp, e.Timestamp);
        Assert.Equal(stored.Original, e.Original);
        Assert.Equal("root", e.Get(EcsFields.UserName));
        Assert.Equal(["authentication", "session"], (string[])e.Fields[EcsFields.EventCategory]);
        Assert.False(e.Fields.ContainsKey("siem.id"));
    }

    [Fact]
    public async Task Delete_sends_an_ids_query_to_every_index_and_returns_the_deleted_count()
    {
        using var peer = new ElasticsearchPeer((_, _) => (200, "{\"took\":5,\"timed_out\":false,\"total\":2,\"deleted\":2,\"batches\":1,\"version_conflicts\":0,\"noops\":0,\"failures\":[]}"));
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url));

        int deleted = await sink.DeleteAsync(["rec000", "al-1"], _timeout.Token);

        var req = Assert.Single(peer.Requests);
        Assert.Equal("/siem-events-*,siem-alerts/_delete_by_query", req.Path);
        Assert.Equal("?ignore_unavailable=true&allow_no_indices=true&refresh=true&conflicts=proceed", req.Query);
        Assert.Equal("{\"query\":{\"ids\":{\"values\":[\"rec000\",\"al-1\"]}}}", req.Body);
        Assert.Equal(2, deleted);
    }

    [Fact]
    public async Task Wildcards_become_case_insensitive_wildcard_queries_and_address_prefixes_become_cidr()
    {
        using var peer = new ElasticsearchPeer((_, _) => (200, "{\"count\":0}"));
        await using var sink = new ElasticsearchIndexSink(Options(peer.Url));

        await sink.CountAsync(SearchRequest.Parse("process.name:ssh* OR source.ip:10.0.* OR host.name:*") with { IncludeAlerts = false }, _timeout.Token);

        var req = Assert.Single(peer.Requests);
        Assert.Equal("/siem-events-*/_count", req.Path);
        Assert.Equal("{\"query\":{\"bool\":{\"should\":[{\"wildcard\":{\"process.name\":{\"value\":\"ssh*\",\"case_insensitive\":true}}},"
            + "{\"term\":{\"source.ip\":\"10.0.0.0/16\"}},{\"exists\":{\"field\":\"host.name\"}}],\"minimum_should_match\":1}}}", req.Body);
        await Assert.ThrowsAsync<SearchQueryException>(() => sink.CountAsync(SearchRequest.Parse("source.ip:10.*.0.1"), _timeout.Token));
    }

    private static string EventSource(LogEvent e)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) ElasticsearchDocuments.WriteEvent(w, e);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    internal static string AlertSource()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer)) ElasticsearchDocuments.WriteAlert(w, Alert);
        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
