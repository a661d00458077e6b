using System.Threading.Channels;
using Siem.Engine.Alerts;
using Siem.Engine.Pipeline;

namespace Siem.Engine.Channels;

/// <summary>
/// Delivers alerts in the background so the pipeline never waits for a slow channel before acking: <see cref="Enqueue"/>
/// only hands the alert to a bounded queue drained by a few workers through the <see cref="AlertDispatcher"/>
/// (routing, retries, dead-letter, delivery log). When the queue is full the alert is not dropped silently: it is
/// dead-lettered with the reason "delivery queue full" and counted in <see cref="Overflowed"/> (it stays indexed
/// and searchable either way).
/// </summary>
public sealed class AlertDeliveryQueue : IAsyncDisposable
{
    private readonly AlertDispatcher _dispatcher;
    private readonly Channel<AlertDocument> _queue;
    private readonly Task[] _workers;
    private readonly Action<string> _log;
    private readonly List<Task> _overflowWrites = [];
    private long _enqueued, _overflowed;

    public AlertDeliveryQueue(AlertDispatcher dispatcher, int capacity = 10_000, int workers = 4, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(dispatcher);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(workers, 1);
        _dispatcher = dispatcher;
        _log = log ?? (_ => { });
        _queue = Channel.CreateBounded<AlertDocument>(new BoundedChannelOptions(capacity) { FullMode = BoundedChannelFullMode.Wait, SingleWriter = false });
        _workers = [.. Enumerable.Range(0, workers).Select(_ => Task.Run(WorkAsync))];
    }

    public AlertDispatcher Dispatcher => _dispatcher;
    public long Enqueued => Interlocked.Read(ref _enqueued);
    public long Overflowed => Interlocked.Read(ref _overflowed);
    /// <summary>Alerts queued and not yet taken by a worker.</summary>
    public int Pending => _queue.Reader.Count;

    /// <summary>Delivers the pipeline's new alerts (repeats that fold into an open alert are not re-sent).</summary>
    public void Attach(EventPipeline pipeline)
    {
        ArgumentNullException.ThrowIfNull(pipeline);
        pipeline.AlertIndexed += (alert, isNew) =>
        {
            if (isNew) Enqueue(alert);
        };
    }

    /// <summary>Never blocks: queued for delivery, or (queue full or closed) dead-lettered and counted.</summary>
    public void Enqueue(AlertDocument alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (_queue.Writer.TryWrite(alert))
        {
            Interlocked.Increment(ref _enqueued);
            return;
        }
        Interlocked.Increment(ref _overflowed);
        var write = Task.Run(() => _dispatcher.DeadLetterUndeliveredAsync(alert, "(queue)", "delivery queue full or closed; the alert is indexed but was not sent to any channel"));
        lock (_overflowWrites) _overflowWrites.Add(write);
    }

    /// <summary>Stops taking alerts and waits (up to <paramref name="timeout"/>) for the queued ones to be delivered or dead-lettered.</summary>
    public async Task<bool> DrainAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        Task[] overflow;
        lock (_overflowWrites) overflow = [.. _overflowWrites];
        var all = Task.WhenAll(_workers.Concat(overflow));
        var finished = await Task.WhenAny(all, Task.Delay(timeout)).ConfigureAwait(false) == all;
        if (!finished) _log($"alert delivery: {_queue.Reader.Count} alerts still queued after {timeout.TotalSeconds:0} s at stop; they are indexed but were not delivered");
        return finished;
    }

    public async ValueTask DisposeAsync() => await DrainAsync(TimeSpan.FromSeconds(10)).ConfigureAwait(false);

    private async Task WorkAsync()
    {
        await foreach (var alert in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await _dispatcher.DispatchAsync(alert).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // A channel bug must not kill the worker; the dispatcher already dead-letters delivery failures.
                _log($"alert delivery of {alert.AlertId} failed unexpectedly: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }
}
