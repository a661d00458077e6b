using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Replay;
using Siem.Engine.Search;
using Siem.Engine.Tests.EsNode;
using Siem.Host.Commands;

namespace Siem.Engine.Tests;

public sealed class ReplayTests : IDisposable
{
    private static readonly Instant Start = Instant.FromUtc(2026, 11, 20, 10, 0);
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-replay-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string BruteForceRule => Path.Combine(RepoRoot(), "rules", "packs", "linux", "mr_ssh_brute_force.yml");

    /// <summary>The repository, found from this source file (tests run from the artifacts directory).</summary>
    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string source = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(source)!, "..", ".."));

    private static LogEvent Failure(string id, Instant at, string ip, string user)
    {
        var e = new LogEvent { RecordId = id, AgentId = "agent-1", Timestamp = at, Original = $"sshd: Failed password for {user} from {ip}" };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.ProcessName, "sshd");
        e.Set(EcsFields.EventAction, "ssh_login");
        e.Set(EcsFields.EventOutcome, "failure");
        e.Set(EcsFields.SourceIp, ip);
        e.Set(EcsFields.UserName, user);
        return e;
    }

    private static List<LogEvent> History() =>
    [
        .. Enumerable.Range(0, 12).Select(i => Failure($"bf{i:D2}", Start + Duration.FromSeconds(20 * i), "203.0.113.5", "root")),
        .. Enumerable.Range(0, 3).Select(i => Failure($"sp{i}", Start + Duration.FromSeconds(7 + 30 * i), "198.51.100.7", "bob")),
    ];

    /// <summary>The same history in an Elasticsearch node (written out of order, in two bulk requests, plus the day before).</summary>
    private static async Task StoreHistoryAsync(ElasticsearchIndexSink sink)
    {
        var events = History();
        await sink.WriteAsync([.. events.Skip(6).Reverse()], []);
        await sink.WriteAsync([.. events.Take(6), Failure("old", Start - Duration.FromDays(1), "203.0.113.5", "root")], []);
    }

    private static ElasticsearchOptions EsOptions(Uri url) => new() { Url = url, BaseDelay = TimeSpan.FromMilliseconds(5), MaxDelay = TimeSpan.FromMilliseconds(20), MaxRetries = 3 };

    /// <summary>History: 12 failures from 203.0.113.5 every 20 s (stored out of order, in two batches), 3 from 198.51.100.7,
    /// and one failure from 203.0.113.5 the day before (outside the replayed range).</summary>
    private async Task StoreHistoryAsync()
    {
        var events = Enumerable.Range(0, 12).Select(i => Failure($"bf{i:D2}", Start + Duration.FromSeconds(20 * i), "203.0.113.5", "root"))
            .Concat(Enumerable.Range(0, 3).Select(i => Failure($"sp{i}", Start + Duration.FromSeconds(7 + 30 * i), "198.51.100.7", "bob")))
            .ToList();
        await using var sink = SqliteIndexSink.Open(_dir);
        await sink.WriteAsync([.. events.Skip(6).Reverse()], []);
        await sink.WriteAsync([.. events.Take(6), Failure("old", Start - Duration.FromDays(1), "203.0.113.5", "root")], []);
    }

    [Fact]
    public async Task Replay_runs_correlation_over_stored_events_in_time_order_and_records_backfill_alerts_once()
    {
        await StoreHistoryAsync();
        await using var index = SqliteIndexSink.Open(_dir);
        var progress = new List<(long, long)>();

        var first = await new RuleReplayer(index, SigmaDetector.Load([BruteForceRule], null)).RunAsync(Start, Start + Duration.FromHours(1), (d, t) => progress.Add((d, t)));
        var second = await new RuleReplayer(index, SigmaDetector.Load([BruteForceRule], null)).RunAsync(Start, Start + Duration.FromHours(1));

        Assert.Equal(15, first.Events);
        Assert.Equal((0L, 15L), progress[0]);
        Assert.Equal((15L, 15L), progress[^1]);
        Assert.Equal(1, first.AlertsByRule["81e7a567-a87a-4a69-8c3a-cd004cd81081"]);
        Assert.Equal(first, second with { AlertsByRule = first.AlertsByRule });
        var stored = await index.SearchAsync(new SearchRequest { Query = new FieldNode("rule.id", "81e7a567-a87a-4a69-8c3a-cd004cd81081", false), IncludeEvents = false });
        var alert = Assert.Single(stored).Alert!;
        Assert.True(alert.Backfill);
        Assert.StartsWith(RuleReplayer.IdPrefix, alert.AlertId);
        Assert.Equal("203.0.113.5", alert.GroupBy["source.ip"]);
        Assert.Equal(Start, alert.FirstSeen);
        Assert.DoesNotContain("old", alert.RecordIds);
        Assert.Contains("\"backfill\":true", AlertJson.SerializeToString(alert));
        // Replaying twice replaces its own alerts: the index holds as many alerts as one replay produced.
        Assert.Equal(first.Alerts, await index.CountAsync(new SearchRequest { Query = new MatchAllNode(), IncludeEvents = false }));
    }

    [Fact]
    public async Task Rules_replay_command_prints_backfill_alerts_and_a_json_summary()
    {
        await StoreHistoryAsync();
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = await RulesReplayCommand.RunAsync([BruteForceRule], "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", _dir, null, json: true, stdout, stderr, CancellationToken.None);

        Assert.Equal(0, exit);
        var lines = stdout.ToString().TrimEnd().Split('\n');
        using var summary = JsonDocument.Parse(lines[^1]);
        Assert.Equal(15, summary.RootElement.GetProperty("events_replayed").GetInt64());
        Assert.Equal(1, summary.RootElement.GetProperty("alerts_by_rule").GetProperty("81e7a567-a87a-4a69-8c3a-cd004cd81081").GetInt32());
        var correlation = lines[..^1].Select(l => AlertJson.Deserialize(System.Text.Encoding.UTF8.GetBytes(l))).Single(a => a.Kind == "correlation");
        Assert.True(correlation.Backfill);
        // The threshold (10 failures in 5 minutes) is met by the first ten in event time, although they were stored out of order.
        Assert.Equal(10, correlation.Count);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"bf{i:D2}"), correlation.RecordIds.Order(StringComparer.Ordinal));
        Assert.Contains("replay: 15 events", stderr.ToString());
        Assert.Equal(1, await RulesReplayCommand.RunAsync([BruteForceRule], null, null, Path.Combine(_dir, "none"), null, false, stdout, stderr, CancellationToken.None));
    }

    [Fact]
    public async Task Replay_over_Elasticsearch_pages_through_the_range_in_event_time_order_and_writes_backfill_alerts_to_the_alert_index()
    {
        using var node = new ElasticsearchNode();
        await using var sink = new ElasticsearchIndexSink(EsOptions(node.Url));
        await StoreHistoryAsync(sink);
        var progress = new List<(long, long)>();

        // Pages of four: the fifteen events in range take four search_after pages.
        var result = await new RuleReplayer(new ElasticsearchReplaySource(sink, pageSize: 4), sink, SigmaDetector.Load([BruteForceRule], null))
            .RunAsync(Start, Start + Duration.FromHours(1), (d, t) => progress.Add((d, t)));

        Assert.Equal(15, result.Events);
        Assert.Equal((0L, 15L), progress[0]);
        Assert.Equal((15L, 15L), progress[^1]);
        Assert.Equal(1, result.AlertsByRule["81e7a567-a87a-4a69-8c3a-cd004cd81081"]);
        var searches = node.Requests.Where(r => r.Method == "POST" && r.Path == "/siem-events-*/_search").Select(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement).ToList();
        Assert.Equal(4, searches.Count);
        Assert.False(searches[0].TryGetProperty("search_after", out _));
        Assert.All(searches.Skip(1), s => Assert.Equal(2, s.GetProperty("search_after").GetArrayLength()));
        await sink.RefreshAsync();
        var alerts = node.Documents("siem-alerts");
        var correlation = alerts.Values.Select(d => ElasticsearchDocuments.ReadAlertSource(d.ToJsonString())).Single(a => a.Kind == "correlation");
        Assert.True(correlation.Backfill);
        Assert.StartsWith(RuleReplayer.IdPrefix, correlation.AlertId);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => $"bf{i:D2}"), correlation.RecordIds.Order(StringComparer.Ordinal));
        Assert.Equal(Start, correlation.FirstSeen);
    }

    [Fact]
    public async Task Rules_replay_command_with_es_replays_the_cluster_and_prints_a_progress_bar_and_the_summary()
    {
        using var node = new ElasticsearchNode();
        await using (var sink = new ElasticsearchIndexSink(EsOptions(node.Url))) await StoreHistoryAsync(sink);
        var stdout = new StringWriter();
        var stderr = new StringWriter();

        int exit = await RulesReplayCommand.RunAsync([BruteForceRule], "2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", Path.Combine(_dir, "unused"), null, json: true, stdout, stderr, CancellationToken.None, node.Url.ToString());

        Assert.Equal(0, exit);
        var lines = stdout.ToString().TrimEnd().Split('\n');
        using var summary = JsonDocument.Parse(lines[^1]);
        Assert.Equal(15, summary.RootElement.GetProperty("events_replayed").GetInt64());
        Assert.Equal(1, summary.RootElement.GetProperty("alerts_by_rule").GetProperty("81e7a567-a87a-4a69-8c3a-cd004cd81081").GetInt32());
        Assert.Contains(" 15/15 events", stderr.ToString()); // the progress bar's last state
        Assert.Contains("search them: ./siem search --es " + node.Url.GetLeftPart(UriPartial.Authority), stderr.ToString());
        Assert.Contains(node.Documents("siem-alerts").Keys, id => id.StartsWith(RuleReplayer.IdPrefix, StringComparison.Ordinal));
        Assert.Equal(2, await RulesReplayCommand.RunAsync([BruteForceRule], null, null, _dir, null, false, stdout, stderr, CancellationToken.None, "ftp://nowhere"));
    }
}
