using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Replay;
using Siem.Engine.Search;
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
}
