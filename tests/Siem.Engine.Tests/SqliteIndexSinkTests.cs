using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

public sealed class SqliteIndexSinkTests() : SqliteSinkTest("siem-index-")
{
    private static AlertDocument Alert(long count) => new()
    {
        AlertId = "al-1",
        RuleId = "rule-ssh-bf",
        Title = "SSH brute force",
        Level = "high",
        Tags = ["attack.credential_access", "attack.t1110.001"],
        RecordIds = ["rec000", "rec001"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "10.0.0.5" },
        FirstSeen = TestEvents.Base,
        LastSeen = TestEvents.Base + Duration.FromMinutes(count),
        Count = count,
    };

    private Task<long> Count(string q) => Sink.CountAsync(SearchRequest.Parse(q));

    [Fact]
    public async Task Writing_the_same_batch_twice_stores_each_record_once()
    {
        var batch = TestEvents.SshBatch();
        await Sink.WriteAsync(batch, [Alert(2)]);
        await Sink.WriteAsync(TestEvents.SshBatch(), [Alert(2)]);

        Assert.Equal(8, await Sink.CountAsync(SearchRequest.Parse("*") with { IncludeAlerts = false }));
        Assert.Equal(1, await Sink.CountAsync(SearchRequest.Parse("*") with { IncludeEvents = false }));
        // Full text is not duplicated either: each event matches once.
        Assert.Equal(7, await Count("Failed"));
    }

    [Fact]
    public async Task Events_are_partitioned_by_utc_day_of_their_timestamp()
    {
        await Sink.WriteAsync(TestEvents.SshBatch(), []);
        await using var conn = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Sink.DatabasePath);
        conn.Open();
        Assert.Equal(["events_20261122", "events_20261121"], SqliteIndexSink.ListPartitions(conn));
    }

    [Fact]
    public async Task A_repeated_alert_id_replaces_the_alert_with_the_higher_count()
    {
        await Sink.WriteAsync([], [Alert(2)]);
        await Sink.WriteAsync([], [Alert(5)]);
        var hits = await Sink.SearchAsync(SearchRequest.Parse("rule.id:rule-ssh-bf"));
        var hit = Assert.Single(hits);
        Assert.Equal("alert", hit.Kind);
        Assert.Equal(5, hit.Alert!.Count);
        Assert.Equal(["attack.credential_access", "attack.t1110.001"], hit.Alert.Tags);
        Assert.Equal("10.0.0.5", hit.Alert.GroupBy["source.ip"]);
        Assert.Equal(1, await Count("\"brute force\""));
    }

    [Fact]
    public async Task Database_runs_in_wal_mode_with_secure_delete()
    {
        await using var conn = new Microsoft.Data.Sqlite.SqliteConnection("Data Source=" + Sink.DatabasePath);
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string)cmd.ExecuteScalar()!);
    }

    [Fact]
    public async Task Delete_by_record_id_removes_the_event_and_its_text_from_the_index_and_the_file()
    {
        await Sink.WriteAsync(TestEvents.SshBatch(), [Alert(2)]);
        int deleted = await Sink.DeleteAsync(["rec007", "al-1", "no-such-id"]);

        Assert.Equal(2, deleted);
        Assert.Equal(0, await Count("Accepted"));
        Assert.Equal(0, await Count("_id:rec007"));
        Assert.Equal(7, await Count("*"));
        // secure_delete + WAL checkpoint: the text of the deleted record no longer exists in the files.
        var bytes = await File.ReadAllBytesAsync(Sink.DatabasePath);
        string text = System.Text.Encoding.UTF8.GetString(bytes);
        Assert.DoesNotContain("Accepted password", text, StringComparison.Ordinal);
        Assert.DoesNotContain("accepted", text, StringComparison.Ordinal);
        var wal = Sink.DatabasePath + "-wal";
        if (File.Exists(wal)) Assert.Equal(0, new FileInfo(wal).Length);
    }
}
