using System.Text.Json;
using NodaTime;
using Siem.Api.Auth;
using Siem.Engine.Alerts;

namespace Siem.Api.Tests;

public sealed class LiveAlertStreamTests
{
    private static AlertDocument Alert(string id, string level) => new()
    {
        AlertId = id,
        RuleId = "81e7a567-a87a-4a69-8c3a-cd004cd81081",
        Title = "SSH Brute Force From One Source",
        Level = level,
        FirstSeen = Instant.FromUtc(2026, 11, 22, 2, 10),
        LastSeen = Instant.FromUtc(2026, 11, 22, 2, 11),
        Count = 30,
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "203.0.113.45" },
    };

    [Fact]
    public async Task A_watcher_receives_each_published_alert_as_a_server_sent_event()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var analyst = host.As(ApiRoles.Analyst);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));

        using var response = await analyst.GetAsync("/api/alerts/stream", HttpCompletionOption.ResponseHeadersRead, timeout.Token);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(timeout.Token));
        Assert.Equal(": connected", await reader.ReadLineAsync(timeout.Token));
        while (host.Feed.Watchers == 0) await Task.Delay(10, timeout.Token);

        host.Feed.Publish(Alert("a-1", "high"), isNew: true);
        host.Feed.Publish(Alert("a-1", "high") with { Count = 31 }, isNew: false);

        var events = await ReadEventsAsync(reader, 2, timeout.Token);
        Assert.Equal(["alert", "alert"], events.Select(e => e.Name));
        Assert.Equal("a-1", events[0].Data.GetProperty("alert").GetProperty("alert_id").GetString());
        Assert.True(events[0].Data.GetProperty("new").GetBoolean());
        Assert.Equal(31, events[1].Data.GetProperty("alert").GetProperty("count").GetInt64());
        Assert.False(events[1].Data.GetProperty("new").GetBoolean());
    }

    [Fact]
    public async Task A_watcher_that_falls_behind_loses_the_oldest_alerts_and_is_told_how_many()
    {
        await using var host = await ApiTestHost.StartAsync(seed: false);
        var watcher = host.Feed.Watch();

        // The test host's feed buffers 4 alerts per watcher.
        for (int i = 0; i < 7; i++) host.Feed.Publish(Alert("a-" + i, "low"), isNew: true);

        var kept = new List<string>();
        while (watcher.Reader.TryRead(out var live)) kept.Add(live.Alert.AlertId);
        Assert.Equal(["a-3", "a-4", "a-5", "a-6"], kept);
        Assert.Equal(3, watcher.Dropped);
        Assert.Equal(3, host.Feed.Dropped);
        watcher.Dispose();
        Assert.Equal(0, host.Feed.Watchers);
    }

    private static async Task<List<(string Name, JsonElement Data)>> ReadEventsAsync(StreamReader reader, int count, CancellationToken ct)
    {
        var events = new List<(string, JsonElement)>();
        string? name = null;
        while (events.Count < count)
        {
            var line = await reader.ReadLineAsync(ct) ?? throw new EndOfStreamException("the stream ended");
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((name!, JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone()));
        }
        return events;
    }
}
