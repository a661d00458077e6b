using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Siem.Api.Auth;

namespace Siem.Api.Tests;

public sealed class SearchEndpointTests
{
    [Fact]
    public async Task A_field_query_finds_the_matching_events_and_alerts_with_the_total_count()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);

        var body = await analyst.GetFromJsonAsync<JsonElement>("/api/search?q=source.ip:203.0.113.45&kind=events&limit=5");

        // 30 failed passwords from the brute-forcer, each followed by its disconnect line.
        Assert.Equal(60, body.GetProperty("total").GetInt64());
        var hits = body.GetProperty("hits").EnumerateArray().ToList();
        Assert.Equal(5, hits.Count);
        Assert.All(hits, h =>
        {
            Assert.Equal("event", h.GetProperty("kind").GetString());
            Assert.Equal("203.0.113.45", h.GetProperty("event").GetProperty("fields").GetProperty("source.ip").GetString());
            Assert.Equal(ApiTestHost.AgentId, h.GetProperty("event").GetProperty("agent_id").GetString());
        });
    }

    [Fact]
    public async Task The_histogram_over_a_requested_range_counts_every_hit_in_its_bucket()
    {
        await using var host = await ApiTestHost.StartAsync();
        var analyst = host.As(ApiRoles.Analyst);

        var body = await analyst.GetFromJsonAsync<JsonElement>(
            "/api/search?q=%22Failed%20password%22&kind=events&from=2026-11-22T02:00:00Z&to=2026-11-22T03:00:00Z&buckets=6");

        var histogram = body.GetProperty("histogram");
        Assert.Equal("requested", histogram.GetProperty("range").GetString());
        Assert.Equal(600, histogram.GetProperty("bucket_seconds").GetDouble());
        var counts = histogram.GetProperty("counts").EnumerateArray().Select(c => c.GetInt64()).ToList();
        Assert.Equal(6, counts.Count);
        Assert.Equal(body.GetProperty("total").GetInt64(), counts.Sum());
        // Of the 65 failed passwords in auth.log, 3 are before 02:00.
        Assert.Equal(62, counts.Sum());
    }

    [Theory]
    [InlineData("q=(sshd", "bad query at position")]
    [InlineData("q=*&from=yesterday", "from: cannot read the time 'yesterday'")]
    [InlineData("q=*&limit=5000", "limit must be between 1 and 1000, not 5000")]
    [InlineData("q=*&kind=logs", "kind must be all, events or alerts, not 'logs'")]
    [InlineData("q=*&from=-1h&to=-2h", "from (-1h) must be before to (-2h)")]
    public async Task A_bad_search_gets_400_naming_the_problem(string query, string expected)
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);

        using var response = await host.As(ApiRoles.Analyst).GetAsync("/api/search?" + query);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(expected, body.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }
}
