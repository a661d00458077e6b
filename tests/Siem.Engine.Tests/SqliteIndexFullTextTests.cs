using Microsoft.Data.Sqlite;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

/// <summary>
/// The full-text side of the SQLite index: rows are indexed in bulk per write (not per row), an alert upsert that only
/// moves its count leaves the full-text index alone, changed alert texts are re-indexed, and FTS5's own integrity check
/// (index against content) holds through redeliveries, upserts, deletes and day rollovers.
/// </summary>
public sealed class SqliteIndexFullTextTests() : SqliteSinkTest("siem-index-fts-")
{
    private static AlertDocument Alert(string id, long count, string ip = "10.0.0.5", string title = "SSH brute force") => new()
    {
        AlertId = id,
        RuleId = "rule-ssh-bf",
        Title = title,
        Level = "high",
        Tags = ["attack.t1110.001"],
        RecordIds = [.. Enumerable.Range(0, (int)Math.Min(count, 50)).Select(i => $"rec{i:D3}")],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = ip },
        FirstSeen = TestEvents.Base,
        LastSeen = TestEvents.Base + Duration.FromMinutes(count),
        Count = count,
    };

    private static LogEvent Event(string id, Instant at, string message)
    {
        var e = new LogEvent { RecordId = id, AgentId = "agent-1", Timestamp = at, Original = "host1 sshd: " + message };
        e.Set(EcsFields.Message, message);
        e.Set(EcsFields.HostName, "host1");
        return e;
    }

    private Task<long> Count(string q) => Sink.CountAsync(SearchRequest.Parse(q));

    private Task<long> CountEvents(string q) => Sink.CountAsync(SearchRequest.Parse(q) with { IncludeAlerts = false });

    private Task<long> CountAlerts(string q) => Sink.CountAsync(SearchRequest.Parse(q) with { IncludeEvents = false });

    private SqliteConnection Connect()
    {
        var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Sink.DatabasePath, Pooling = false }.ToString());
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = "PRAGMA busy_timeout=10000";
        cmd.ExecuteNonQuery();
        return conn;
    }

    private static object? Scalar(SqliteConnection conn, string sql)
    {
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        return cmd.ExecuteScalar();
    }

    /// <summary>FTS5 'integrity-check' with rank 1 compares every full-text table with its content table; it throws on any difference.</summary>
    private void AssertFullTextMatchesContent()
    {
        using var conn = Connect();
        var tables = SqliteIndexSink.ListPartitions(conn).Append("alerts").ToList();
        foreach (var t in tables) Scalar(conn, $"INSERT INTO {t}_fts({t}_fts, rank) VALUES ('integrity-check', 1)");
    }

    private string AlertFullTextData()
    {
        using var conn = Connect();
        return (string)Scalar(conn, "SELECT group_concat(id || ':' || hex(block), ',') FROM (SELECT id, block FROM alerts_fts_data ORDER BY id)")!;
    }

    [Fact]
    public async Task An_alert_upsert_that_only_moves_its_count_and_times_leaves_the_full_text_index_untouched()
    {
        await Sink.WriteAsync([], [Alert("al-1", 2)]);
        string before = AlertFullTextData();

        await Sink.WriteAsync([], [Alert("al-1", 40)]);

        Assert.Equal(before, AlertFullTextData());
        var hit = Assert.Single(await Sink.SearchAsync(SearchRequest.Parse("\"brute force\"")));
        Assert.Equal(40, hit.Alert!.Count);
        Assert.Equal(40, hit.Alert.RecordIds.Count);
        AssertFullTextMatchesContent();
    }

    [Fact]
    public async Task An_alert_whose_group_value_changes_is_found_by_the_new_value_and_no_longer_by_the_old()
    {
        await Sink.WriteAsync([], [Alert("al-1", 2, ip: "10.0.0.5")]);
        // What a purge's redaction does: same alert id, the group-by value replaced.
        await Sink.WriteAsync([], [Alert("al-1", 3, ip: "redacted-subject")]);

        Assert.Equal(0, await Count("\"10.0.0.5\""));
        Assert.Equal(1, await Count("\"redacted-subject\""));
        AssertFullTextMatchesContent();
    }

    [Fact]
    public async Task The_same_alert_twice_in_one_write_is_stored_once_in_its_last_state()
    {
        await Sink.WriteAsync([], [Alert("al-1", 1, ip: "10.0.0.5"), Alert("al-1", 2, ip: "10.0.0.9", title: "SSH brute force again")]);

        var hit = Assert.Single(await Sink.SearchAsync(SearchRequest.Parse("*") with { IncludeEvents = false }));
        Assert.Equal(2, hit.Alert!.Count);
        Assert.Equal(1, await Count("\"10.0.0.9\""));
        Assert.Equal(0, await Count("\"10.0.0.5\""));
        Assert.Equal(1, await Count("again"));
        AssertFullTextMatchesContent();
    }

    [Fact]
    public async Task A_write_across_midnight_indexes_both_days_and_a_later_write_extends_an_existing_day()
    {
        var late = TestEvents.Base; // 23:58 UTC on the 21st
        await Sink.WriteAsync([Event("r1", late, "before midnight alpha"), Event("r2", late + Duration.FromMinutes(5), "after midnight alpha")], []);
        await Sink.DisposeAsync();
        Sink = SqliteIndexSink.Open(Dir);
        await Sink.WriteAsync([Event("r3", late + Duration.FromMinutes(6), "after midnight beta"), Event("r1", late, "before midnight alpha")], []);

        using (var conn = Connect()) Assert.Equal(["events_20261122", "events_20261121"], SqliteIndexSink.ListPartitions(conn));
        Assert.Equal(2, await CountEvents("alpha"));
        Assert.Equal(2, await CountEvents("\"after midnight\""));
        Assert.Equal(1, await CountEvents("beta"));
        var day2 = await Sink.SearchAsync(SearchRequest.Parse("midnight") with { From = Instant.FromUtc(2026, 11, 22, 0, 0) });
        Assert.Equal(["r3", "r2"], day2.Select(h => h.Id));
        AssertFullTextMatchesContent();
    }

    [Fact]
    public async Task An_index_written_with_per_row_text_triggers_is_migrated_so_nothing_is_indexed_twice()
    {
        // The layout before bulk full-text inserts: an AFTER INSERT trigger per partition and on alerts.
        await Sink.WriteAsync([Event("old-1", TestEvents.Base, "legacy gamma")], [Alert("al-old", 1)]);
        await Sink.DisposeAsync();
        using (var conn = Connect())
        {
            using var cmd = conn.CreateCommand();
            cmd.CommandText = """
                CREATE TRIGGER events_20261121_ai AFTER INSERT ON events_20261121 BEGIN
                  INSERT INTO events_20261121_fts(rowid, message, keys) VALUES (new.id, new.message, new.keys); END;
                CREATE TRIGGER alerts_ai AFTER INSERT ON alerts BEGIN
                  INSERT INTO alerts_fts(rowid, message, keys) VALUES (new.id, new.message, new.keys); END;
                DROP TRIGGER alerts_au;
                CREATE TRIGGER alerts_au AFTER UPDATE ON alerts BEGIN
                  INSERT INTO alerts_fts(alerts_fts, rowid, message, keys) VALUES ('delete', old.id, old.message, old.keys);
                  INSERT INTO alerts_fts(rowid, message, keys) VALUES (new.id, new.message, new.keys); END;
                """;
            cmd.ExecuteNonQuery();
        }

        Sink = SqliteIndexSink.Open(Dir);
        await Sink.WriteAsync([Event("new-1", TestEvents.Base + Duration.FromMinutes(1), "fresh gamma")], [Alert("al-new", 1, ip: "10.0.0.7")]);

        AssertFullTextMatchesContent();
        Assert.Equal(2, await CountEvents("gamma"));
        Assert.Equal(2, await CountAlerts("brute"));
        using var check = Connect();
        Assert.Equal(0L, Scalar(check, "SELECT count(*) FROM sqlite_master WHERE type='trigger' AND name LIKE '%\\_ai' ESCAPE '\\'"));
        Assert.Contains("WHEN", (string)Scalar(check, "SELECT sql FROM sqlite_master WHERE name='alerts_au'")!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Seeded_mix_of_writes_redeliveries_upserts_and_deletes_keeps_text_search_exact()
    {
        var rng = new Random(5);
        var wordOf = new Dictionary<string, string>(StringComparer.Ordinal); // record id → the word its message carries
        var stored = new HashSet<string>(StringComparer.Ordinal);
        var alertCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        string[] words = ["apple", "birch", "cedar", "delta"];
        List<LogEvent> previous = [];
        for (int round = 0; round < 30; round++)
        {
            var batch = new List<LogEvent>();
            for (int i = 0; i < rng.Next(1, 40); i++)
            {
                string id = $"r{round:D2}-{i:D2}";
                string word = words[rng.Next(words.Length)];
                // Up to 3 days, so batches span partitions.
                batch.Add(Event(id, TestEvents.Base + Duration.FromMinutes(rng.Next(0, 3 * 1440)), $"login {word} from 10.0.{round}.{i}"));
                wordOf[id] = word;
            }
            // A redelivered group: its records come back even if deleted since (the purge's forward filter is elsewhere).
            if (previous.Count > 0 && rng.Next(3) == 0) batch.AddRange(previous);
            foreach (var e in batch) stored.Add(e.RecordId);
            var alerts = Enumerable.Range(0, rng.Next(0, 4)).Select(_ =>
            {
                string id = $"al-{rng.Next(6)}";
                alertCounts[id] = alertCounts.GetValueOrDefault(id) + 1;
                return Alert(id, alertCounts[id]);
            }).ToList();
            await Sink.WriteAsync(batch, alerts);
            previous = batch;
            if (rng.Next(4) == 0 && stored.Count > 0)
            {
                var gone = stored.Order(StringComparer.Ordinal).OrderBy(_ => rng.Next()).Take(rng.Next(1, 5)).ToList();
                Assert.Equal(gone.Count, await Sink.DeleteAsync(gone));
                foreach (var id in gone) stored.Remove(id);
            }
        }

        foreach (var word in words) Assert.Equal(stored.Count(id => wordOf[id] == word), await CountEvents(word));
        Assert.Equal(stored.Count, await CountEvents("login"));
        Assert.Equal(alertCounts.Count, await CountAlerts("brute"));
        AssertFullTextMatchesContent();
    }
}
