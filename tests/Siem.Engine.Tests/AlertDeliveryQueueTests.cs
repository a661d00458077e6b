using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Channels;

namespace Siem.Engine.Tests;

/// <summary>Background alert delivery never blocks the pipeline; what does not fit is dead-lettered and counted, never dropped silently.</summary>
public sealed class AlertDeliveryQueueTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-delivery-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Holds every delivery until released, like a channel whose endpoint hangs.</summary>
    private sealed class StuckChannel : IAlertChannel
    {
        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public List<string> Delivered { get; } = [];
        public string Name => "stuck";

        public async Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default)
        {
            await Release.Task.WaitAsync(cancellationToken);
            lock (Delivered) Delivered.Add(alert.AlertId);
        }
    }

    [Fact]
    public async Task A_full_queue_dead_letters_the_overflow_with_the_reason_and_delivers_the_rest_once_the_channel_recovers()
    {
        var channel = new StuckChannel();
        var deadLetters = Path.Combine(_dir, "alert-dead-letter.jsonl");
        var dispatcher = new AlertDispatcher([(channel, AlertRoute.All)], new AlertDispatchOptions { DeadLetterPath = deadLetters });
        var queue = new AlertDeliveryQueue(dispatcher, capacity: 2, workers: 1);
        var alerts = Enumerable.Range(0, 6).Select(i => new AlertDocument { AlertId = $"a{i}", RuleId = "r", FirstSeen = Instant.FromUtc(2026, 11, 22, 10, 0), LastSeen = Instant.FromUtc(2026, 11, 22, 10, 0) }).ToList();

        queue.Enqueue(alerts[0]);
        // The single worker holds a0 in the stuck channel; wait until it took it so the queue's two slots are free.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while (!await WorkerTookFirstAsync(queue, timeout.Token)) { }
        foreach (var a in alerts.Skip(1)) queue.Enqueue(a); // returns at once even though nothing can be delivered

        Assert.Equal(3, queue.Enqueued);
        Assert.Equal(3, queue.Overflowed);
        channel.Release.SetResult();
        Assert.True(await queue.DrainAsync(TimeSpan.FromSeconds(15)));

        Assert.Equal(["a0", "a1", "a2"], channel.Delivered.Order(StringComparer.Ordinal));
        Assert.Equal(3, dispatcher.DeadLettered);
        var lines = File.ReadAllLines(deadLetters);
        Assert.Equal(3, lines.Length);
        Assert.All(lines, l => Assert.Contains("delivery queue full or closed", l, StringComparison.Ordinal));
        Assert.Equal(["a3", "a4", "a5"], lines.Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("alert_id").GetString()).Order(StringComparer.Ordinal));
    }

    private static async Task<bool> WorkerTookFirstAsync(AlertDeliveryQueue queue, CancellationToken ct)
    {
        await Task.Delay(10, ct);
        return queue.Pending == 0;
    }
}
