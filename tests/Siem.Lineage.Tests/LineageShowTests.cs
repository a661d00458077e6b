using System.Text.Json;
using NodaTime;
using Siem.Engine.Index;
using Siem.Engine.Search;
using Siem.Host.Commands;
using Siem.Host.Demo;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Testing;
using static Siem.Lineage.Tests.LedgerFixture;

namespace Siem.Lineage.Tests;

public sealed class LineageShowTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-show-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private async Task SeedAsync()
    {
        await using var ledger = LineageLedger.Open(_dir);
        await ledger.RecordBatchAsync(Batch(7, Record("r1", 1, "A"), Record("r2", 2, "B")));
        await ledger.RecordAlertsAsync([Alert("x", ["r1"])]);
        await ledger.RecordDeliveryAsync(new DeliveryLineage("x", "slack", "delivered", T0 + Duration.FromHours(2), null));
    }

    private async Task<(int Exit, string Out, string Err)> ShowAsync(string id, bool json = false)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int exit = await LineageCommand.ShowAsync(_dir, id, json, stdout, stderr, CancellationToken.None);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Show_prints_a_records_whole_path_from_source_to_channel()
    {
        await SeedAsync();
        var (exit, text, _) = await ShowAsync("r1");
        Assert.Equal(0, exit);
        Assert.Equal("""
            record r1  (concerns 1 pseudonymous subject(s))
              source   file /var/log/auth.log offset 100 on host web1, event time 2026-11-22T03:01:00Z
              agent    agent-1 batch 7
              stream   SIEM_EVENTS seq 7, received 2026-11-22T04:00:00Z
              engine   engine-a
              index    sqlite, indexed 2026-11-22T04:00:01Z
              alert    x rule rule-1 in sqlite at 2026-11-22T04:00:00Z
                channel  slack delivered at 2026-11-22T05:00:00Z
            """.ReplaceLineEndings("\n"), text.TrimEnd().ReplaceLineEndings("\n"));
    }

    [Fact]
    public async Task Show_json_of_an_alert_names_its_records_hops_and_deliveries()
    {
        await SeedAsync();
        var (exit, json, _) = await ShowAsync("x", json: true);
        Assert.Equal(0, exit);
        var root = JsonDocument.Parse(json).RootElement;
        Assert.Equal("alert", root.GetProperty("kind").GetString());
        Assert.Equal("rule-1", root.GetProperty("rule_id").GetString());
        var record = Assert.Single(root.GetProperty("records").EnumerateArray());
        Assert.Equal(("r1", "SIEM_EVENTS", 7UL, "/var/log/auth.log"), (record.GetProperty("record_id").GetString(), record.GetProperty("stream").GetString(),
            record.GetProperty("stream_seq").GetUInt64(), record.GetProperty("source").GetProperty("path").GetString()));
        var delivery = Assert.Single(root.GetProperty("deliveries").EnumerateArray());
        Assert.Equal(("slack", "delivered"), (delivery.GetProperty("channel").GetString(), delivery.GetProperty("outcome").GetString()));
    }

    [Fact]
    public async Task Show_of_an_unknown_id_or_a_missing_ledger_fails_with_exit_1_and_says_why()
    {
        var (exit, _, err) = await ShowAsync("r1");
        Assert.Equal(1, exit);
        Assert.Contains("no lineage ledger at", err, StringComparison.Ordinal);
        await SeedAsync();
        (exit, _, err) = await ShowAsync("nope");
        Assert.Equal(1, exit);
        Assert.Contains("no record or alert 'nope'", err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task After_demo_once_a_record_id_from_search_shows_its_path_and_no_identifier_value_is_in_the_ledger()
    {
        await using var server = await NatsServer.StartAsync();
        var input = Path.Combine(_dir, "auth.log");
        await File.WriteAllLinesAsync(input, Enumerable.Range(0, 40).Select(i =>
            $"Nov 22 02:00:{i:D2} web01 sshd[{4000 + i}]: Failed password for carol{i % 3} from 10.9.0.{i % 5 + 1} port {30000 + i} ssh2"));
        var data = Path.Combine(_dir, "data");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        var stderr = new StringWriter();
        int exit = await DemoRunner.RunAsync(new DemoOptions { Once = true, NatsUrl = server.Url, Inputs = [input], DataDir = data, Json = true }, new StringWriter(), stderr, timeout.Token);
        Assert.True(exit == 0, $"demo exited {exit}:\n{stderr}");

        await using (var index = SqliteIndexSink.Open(data))
        {
            var hit = Assert.Single(await index.SearchAsync(SearchRequest.Parse("\"port 30007\"") with { IncludeAlerts = false }));
            var stdout = new StringWriter();
            Assert.Equal(0, await LineageCommand.ShowAsync(data, hit.Id, true, stdout, new StringWriter(), CancellationToken.None));
            var copy = Assert.Single(JsonDocument.Parse(stdout.ToString()).RootElement.GetProperty("copies").EnumerateArray());
            Assert.Equal((hit.Id, input, "demo-agent", "SIEM_EVENTS"), (copy.GetProperty("record_id").GetString(), copy.GetProperty("source").GetProperty("path").GetString(),
                copy.GetProperty("agent_id").GetString(), copy.GetProperty("stream").GetString()));
        }
        await using var ledger = LineageLedger.Open(data);
        var subjects = Siem.Lineage.Subjects.SubjectPseudonymizer.Open(data);
        Assert.Equal(13, (await ledger.RecordIdsOfSubjectAsync(subjects.SubjectId("user.name", "carol1"))).Count);
        Assert.Equal(8, (await ledger.RecordIdsOfSubjectAsync(subjects.SubjectId("source.ip", "10.9.0.3"))).Count);
        var bytes = System.Text.Encoding.Latin1.GetString(File.ReadAllBytes(ledger.DatabasePath));
        Assert.DoesNotContain("carol", bytes, StringComparison.Ordinal);
        Assert.DoesNotContain("10.9.0.", bytes, StringComparison.Ordinal);
    }
}
