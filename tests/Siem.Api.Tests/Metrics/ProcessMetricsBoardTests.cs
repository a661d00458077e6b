using System.Text;
using System.Text.Json;
using Siem.Api.Metrics;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Api.Tests.Metrics;

/// <summary>The API's view of every process's readings, fed over a real nats-server.</summary>
public sealed class ProcessMetricsBoardTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 22, 18, 0, 0, TimeSpan.Zero);

    private static ProcessMetrics Reading(string instance, int pid, DateTimeOffset at, double indexed = 1) =>
        new(instance, "host-a", pid, ["engine"], at, [new MetricReading("siem.engine.events_indexed", "counter", null, indexed, "{event}")]);

    [Fact]
    public async Task Readings_broadcast_on_nats_are_shown_per_process_and_garbage_is_counted_not_shown()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var server = await NatsServer.StartAsync();
        await using var nats = new NatsConnection(NatsOpts.Default with { Servers = [server.Url] });
        await nats.ConnectAsync(timeout.Token);
        await using var board = await ProcessMetricsBoard.StartAsync(nats, cancellationToken: timeout.Token);
        await nats.PingAsync(timeout.Token); // the SUB is processed before anything is published

        var now = DateTimeOffset.UtcNow;
        await nats.PublishAsync("siem.metrics.101", JsonSerializer.SerializeToUtf8Bytes(Reading("engine-a", 101, now, indexed: 5), MetricsJson.Options), cancellationToken: timeout.Token);
        await nats.PublishAsync("siem.metrics.101", JsonSerializer.SerializeToUtf8Bytes(Reading("engine-a", 101, now, indexed: 9), MetricsJson.Options), cancellationToken: timeout.Token);
        await nats.PublishAsync("siem.metrics.102", JsonSerializer.SerializeToUtf8Bytes(Reading("engine-b", 102, now), MetricsJson.Options), cancellationToken: timeout.Token);
        await nats.PublishAsync("siem.metrics.666", Encoding.UTF8.GetBytes("{\"instance\": 3"), cancellationToken: timeout.Token);
        await nats.PublishAsync("siem.metrics.667", Encoding.UTF8.GetBytes("{}"), cancellationToken: timeout.Token);
        while (board.Rejected < 2 || board.Processes().Count < 2) await Task.Delay(20, timeout.Token);

        var shown = board.Processes();
        Assert.Equal(["engine-a", "engine-b"], shown.Select(p => p.Reading.Instance));
        Assert.Equal(9, shown[0].Reading.Metrics.Single().Value);
        Assert.Equal("{event}", shown[0].Reading.Metrics.Single().Unit);
        Assert.All(shown, p => Assert.False(p.Stale));
        Assert.Equal(2, board.Rejected);
    }

    [Fact]
    public void A_process_is_stale_after_three_missed_intervals_and_forgotten_after_ten_minutes()
    {
        var time = new ManualTime(T0);
        var board = ProcessMetricsBoard.Local(() => Reading("demo", 1, time.GetUtcNow()), time);
        board.Add(Reading("engine-a", 7, T0));

        time.Advance(3 * MetricsBroadcaster.Interval);
        var onTime = board.Processes();
        time.Advance(TimeSpan.FromSeconds(1));
        var late = board.Processes();
        time.Advance(TimeSpan.FromMinutes(10));
        var later = board.Processes();

        Assert.Equal([("demo", false), ("engine-a", false)], onTime.Select(p => (p.Reading.Instance, p.Stale)));
        Assert.Equal([("demo", false), ("engine-a", true)], late.Select(p => (p.Reading.Instance, p.Stale)));
        Assert.Equal([("demo", false)], later.Select(p => (p.Reading.Instance, p.Stale)));
    }

    [Fact]
    public void A_restarted_process_is_a_new_entry_and_a_full_board_drops_the_one_heard_from_longest_ago()
    {
        var time = new ManualTime(T0);
        var board = ProcessMetricsBoard.Local(() => Reading("api", 1, time.GetUtcNow()), time);
        for (int pid = 2; pid <= ProcessMetricsBoard.Capacity; pid++) board.Add(Reading("engine", pid, T0 + TimeSpan.FromMilliseconds(pid)));
        time.Advance(TimeSpan.FromSeconds(1)); // the API process's own reading is the newest
        Assert.Equal(ProcessMetricsBoard.Capacity, board.Processes().Count);

        board.Add(Reading("engine", 5000, T0 + TimeSpan.FromSeconds(2)));

        var shown = board.Processes();
        Assert.Equal(ProcessMetricsBoard.Capacity, shown.Count);
        Assert.Equal(1, board.Evicted);
        Assert.DoesNotContain(shown, p => p.Reading.Pid == 2);
        Assert.Contains(shown, p => p.Reading.Pid == 5000);
    }
}
