using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Purge;
using Siem.Engine.Tests.EsNode;
using Siem.Lineage.Purge;

namespace Siem.Engine.Tests;

/// <summary>
/// A purge in an Elasticsearch/OpenSearch alerts index asks for the subject's alerts by query (record ids in
/// <c>siem.record_ids</c>, the value in <c>siem.values</c>), so the alerts of everybody else are neither read nor
/// rewritten; alerts indexed before those fields existed are still found (read whole).
/// </summary>
public sealed class ElasticsearchAlertPurgeTests : IDisposable
{
    private const string Alice = "203.0.113.7", Bob = "198.51.100.20";
    private const int Others = 300;
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-es-alert-purge-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(25));

    public void Dispose()
    {
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static ElasticsearchOptions Options(Uri url) => new() { Url = url, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 };

    private static readonly Instant Seen = Instant.FromUtc(2026, 11, 21, 23, 0);

    private static AlertDocument Alert(string id, IReadOnlyList<string> records, Dictionary<string, string> groupBy, Dictionary<string, string>? fields = null) => new()
    {
        AlertId = id, RuleId = "rule-" + id, Title = "Suspicious logon", Level = "high", RecordIds = records, GroupBy = groupBy,
        Fields = fields ?? [], Count = records.Count, FirstSeen = Seen, LastSeen = Seen,
    };

    /// <summary>Alerts as an earlier version indexed them: without <c>siem.record_ids</c>, <c>siem.values</c> and the schema mark.</summary>
    private static async Task WriteLegacyAsync(Uri node, params AlertDocument[] alerts)
    {
        var ndjson = new StringBuilder();
        foreach (var a in alerts)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer)) ElasticsearchDocuments.WriteAlert(w, a);
            var doc = JsonNode.Parse(buffer.ToArray())!.AsObject();
            doc.Remove(ElasticsearchDocuments.AlertRecordIdsField);
            doc.Remove(ElasticsearchDocuments.AlertValuesField);
            doc.Remove(ElasticsearchDocuments.AlertSchemaField);
            ndjson.Append("{\"index\":{\"_index\":\"siem-alerts\",\"_id\":\"").Append(a.AlertId).Append("\"}}\n").Append(doc.ToJsonString()).Append('\n');
        }
        using var http = new HttpClient();
        var content = new StringContent(ndjson.ToString(), Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        using var answer = await http.PostAsync(new Uri(node, "_bulk?refresh=true"), content);
        answer.EnsureSuccessStatusCode();
    }

    [Fact]
    public async Task A_purge_queries_only_the_subjects_alerts_by_record_id_and_value_and_leaves_everyone_elses_untouched()
    {
        using var node = new ElasticsearchNode();
        await using var sink = new ElasticsearchIndexSink(Options(node.Url));
        var others = Enumerable.Range(0, Others).Select(i => Alert($"other-{i:D3}", [$"o{i}"],
            new() { ["source.ip"] = $"198.51.100.{i % 200}" }, new() { ["host.name"] = $"web{i}" })).ToList();
        var byRecord = Alert("al-by-record", ["r1", "o5"], new() { ["host.name"] = "web1" });
        var byGroup = Alert("al-by-group", ["r2"], new() { ["source.ip"] = Alice });
        var byText = Alert("al-by-text", ["o7"], new() { ["user.name"] = "root" }, new() { ["process.command_line"] = $"ssh root@{Alice} -p 22" });
        await sink.WriteAsync([], [.. others, byRecord, byGroup, byText], _timeout.Token);
        await WriteLegacyAsync(node.Url, Alert("legacy-alice", ["r2"], new() { ["source.ip"] = Alice }), Alert("legacy-bob", ["b1"], new() { ["source.ip"] = Bob }));
        var before = node.Documents("siem-alerts");

        var suspects = await sink.FindAlertsAsync([], ["r1", "r2"], Alice, _timeout.Token);
        Assert.Equal(["al-by-group", "al-by-record", "al-by-text", "legacy-alice", "legacy-bob"], suspects.Select(a => a.AlertId));

        var requestsBefore = node.Requests.Count();
        var scope = new PurgeScope { JobId = "job-1", DataDir = _dir, Field = "source.ip", SubjectId = "subject-1", Value = Alice, RecordIds = ["r1", "r2"] };
        var result = await new IndexPurgeTarget(sink, "elasticsearch").PurgeAsync(scope, _timeout.Token);

        Assert.Equal(2, result.Deleted);  // al-by-group, legacy-alice: the subject's alone
        Assert.Equal(2, result.Redacted); // al-by-record (o5 stays), al-by-text (o7 stays)
        var requests = node.Requests.Skip(requestsBefore).ToList();
        var alertSearches = requests.Where(r => r.Path == "/siem-alerts/_search").Select(r => r.Body).ToList();
        const string page = "{\"size\":1000,\"track_total_hits\":false,\"_source\":[\"siem.alert\"],\"sort\":[{\"siem.id\":\"asc\"}],\"query\":";
        Assert.Equal(
        [
            page + "{\"bool\":{\"should\":[{\"term\":{\"siem.values\":{\"value\":\"203.0.113.7\",\"case_insensitive\":true}}},"
                + "{\"match_phrase\":{\"siem.values.text\":\"203.0.113.7\"}},{\"bool\":{\"must_not\":[{\"exists\":{\"field\":\"siem.alert_schema\"}}]}}],\"minimum_should_match\":1}}}",
            page + "{\"terms\":{\"siem.record_ids\":[\"r1\",\"r2\"]}}}",
        ], alertSearches);
        var bulk = Assert.Single(requests, r => r.Path == "/_bulk");
        var actions = bulk.Body.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!.AsObject())
            .Where(o => o.ContainsKey("update") || o.ContainsKey("delete"))
            .Select(o => o.First().Key + " " + o.First().Value!["_id"]!.GetValue<string>()).ToList();
        Assert.Equal(["update al-by-record", "update al-by-text", "delete al-by-group", "delete legacy-alice"], actions);

        var after = node.Documents("siem-alerts");
        Assert.Equal(Others + 3, after.Count);
        foreach (var id in others.Select(o => o.AlertId).Append("legacy-bob"))
            Assert.True(JsonNode.DeepEquals(before[id], after[id]), $"{id} was rewritten");
        var text = after["al-by-text"];
        Assert.Equal("ssh root@[redacted] -p 22", text["siem.alert"]!["fields"]!["process.command_line"]!.GetValue<string>());
        Assert.DoesNotContain(text["siem.values"]!.AsArray(), v => v!.GetValue<string>().Contains(Alice, StringComparison.Ordinal));
        Assert.Equal(["o5"], after["al-by-record"]["siem.record_ids"]!.AsArray().Select(v => v!.GetValue<string>()));

        // Afterwards the value and the records find nothing but the legacy alert of someone else (read whole, untouched).
        var left = await sink.FindAlertsAsync([], ["r1", "r2"], Alice, _timeout.Token);
        Assert.Equal(["legacy-bob"], left.Select(a => a.AlertId));
        var check = await new IndexPurgeTarget(sink, "elasticsearch").VerifyAsync(scope, _timeout.Token);
        Assert.Empty(check.Where);
    }
}
