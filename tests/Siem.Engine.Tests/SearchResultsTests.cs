using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Search;

namespace Siem.Engine.Tests;

public sealed class SearchResultsTests : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-search-").FullName;
    private SqliteIndexSink _sink = null!;

    public async Task InitializeAsync()
    {
        _sink = SqliteIndexSink.Open(_dir);
        var alert = new AlertDocument
        {
            AlertId = "al-1", RuleId = "ssh-bf", Title = "SSH brute force", Level = "high", Tags = ["attack.t1110"],
            GroupBy = new Dictionary<string, string> { ["source.ip"] = "10.0.0.5" }, RecordIds = ["rec000"],
            FirstSeen = TestEvents.Base, LastSeen = TestEvents.Base + Duration.FromMinutes(6), Count = 4,
        };
        await _sink.WriteAsync(TestEvents.SshBatch(), [alert]);
    }

    public async Task DisposeAsync()
    {
        await _sink.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private async Task<string[]> Ids(string query, Instant? from = null, Instant? to = null) =>
        [.. (await _sink.SearchAsync(SearchRequest.Parse(query) with { From = from, To = to })).Select(h => h.Id)];

    [Theory]
    [InlineData("user.name:root", new[] { "rec004", "rec000" })]
    [InlineData("user.name:ROOT", new[] { "rec004", "rec000" })]                 // keywords are case-insensitive
    [InlineData("user.name:ad*", new[] { "rec005", "rec001" })]                  // wildcard
    [InlineData("event.category:session user.name:bob", new[] { "rec007", "rec003" })] // multi-valued field
    [InlineData("\"accepted password\"", new[] { "rec007" })]                   // phrase over message
    [InlineData("\"password bob\"", new string[0])]                              // phrase words must be adjacent
    [InlineData("failed AND NOT (user.name:root OR user.name:admin)", new[] { "rec006", "rec003", "rec002" })]
    [InlineData("source.ip:10.0.0.5", new[] { "rec006", "al-1", "rec004", "rec002", "rec000" })] // events and the alert (last seen 00:04)
    [InlineData("rule.id:ssh-bf", new[] { "al-1" })]
    [InlineData("level:high", new[] { "al-1" })]
    [InlineData("alic*", new[] { "rec006", "rec002" })]                           // FTS prefix over key fields
    [InlineData("user.name:*", new[] { "rec007", "rec006", "rec005", "rec004", "rec003", "rec002", "rec001", "rec000" })]
    [InlineData("_id:rec003", new[] { "rec003" })]
    [InlineData("nosuchfield:x", new string[0])]
    public async Task Queries_return_exactly_the_matching_events_and_alerts_newest_first(string query, string[] expected)
    {
        Assert.Equal(expected, await Ids(query));
    }

    [Fact]
    public async Task Time_range_is_from_inclusive_to_exclusive_across_day_partitions()
    {
        // Base = 23:58 on the 21st; rec002 is 00:00 on the 22nd.
        Assert.Equal(["rec002", "rec001"], await Ids("failed", TestEvents.Base + Duration.FromMinutes(1), TestEvents.Base + Duration.FromMinutes(3)));
        Assert.Equal(["rec001", "rec000"], await Ids("failed", null, Instant.FromUtc(2026, 11, 22, 0, 0)));
    }

    [Fact]
    public async Task Limit_keeps_the_newest_hits()
    {
        var hits = await _sink.SearchAsync(SearchRequest.Parse("*") with { Limit = 3 });
        Assert.Equal(["rec007", "rec006", "al-1"], hits.Select(h => h.Id));
        var e = hits[0].Event!;
        Assert.Equal("web1", e.Get("host.name"));
        Assert.Equal(["authentication", "session"], (string[])e.Fields["event.category"]);
        Assert.Equal("agent-1", e.AgentId);
    }
}
