using System.Globalization;
using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

/// <summary>
/// Publishes with many PubAcks in flight (like Go's <c>PublishAsync</c>). All replies arrive on ONE wildcard
/// subscription <c>_INBOX.&lt;id&gt;.*</c>; each message's reply subject ends in its own token, which finds its
/// pending ack. The window is bounded: when <see cref="MaxInFlight"/> acks are outstanding,
/// <see cref="PublishAsync"/> waits (backpressure) — nothing is dropped. Each ack times out on its own
/// (<see cref="NatsTimeoutException"/> on that message's task); retry it with the same msg id to stay exactly-once.
/// </summary>
public sealed class NatsJSPublisher : IAsyncDisposable
{
    private readonly NatsJSContext _js;
    private readonly SemaphoreSlim _window;
    private readonly SemaphoreSlim _startLock = new(1, 1);
    private readonly long _ackTimeoutMs;
    private readonly Dictionary<long, PendingAck> _pending = [];
    private readonly CancellationTokenSource _stop = new();
    private string _replyPrefix = "";
    private NatsSubscription? _subscription;
    private Task? _readLoop;
    private Task? _sweepLoop;
    private long _nextId;
    private long _timeouts;
    private string? _streamCache;
    private bool _disposed;

    internal NatsJSPublisher(NatsJSContext js, int maxInFlight, TimeSpan ackTimeout)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ackTimeout, TimeSpan.Zero);
        _js = js;
        MaxInFlight = maxInFlight;
        _window = new SemaphoreSlim(maxInFlight, maxInFlight);
        _ackTimeoutMs = (long)ackTimeout.TotalMilliseconds;
    }

    public int MaxInFlight { get; }

    /// <summary>PubAcks currently awaited.</summary>
    public int InFlight
    {
        get { lock (_pending) return _pending.Count; }
    }

    /// <summary>Acks that timed out so far (each also faulted its message's task).</summary>
    public long Timeouts => Interlocked.Read(ref _timeouts);

    /// <summary>
    /// Waits for a window slot, sends the message, and returns the task of its PubAck. The returned task faults
    /// with <see cref="NatsJSApiException"/> (error PubAck, or no stream for the subject) or
    /// <see cref="NatsTimeoutException"/>.
    /// </summary>
    public async ValueTask<Task<PubAck>> PublishAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers = null, string? msgId = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentException.ThrowIfNullOrEmpty(subject);
        if (_subscription is null) await StartAsync(cancellationToken).ConfigureAwait(false);
        await _window.WaitAsync(cancellationToken).ConfigureAwait(false);
        long id = Interlocked.Increment(ref _nextId);
        var pending = new PendingAck(subject, Environment.TickCount64 + _ackTimeoutMs);
        lock (_pending) _pending.Add(id, pending);
        try
        {
            await _js.Connection.PublishAsync(subject, data, NatsJSContext.WithMsgId(headers, msgId), _replyPrefix + id.ToString(CultureInfo.InvariantCulture), cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            if (Remove(id) is not null) _window.Release();
            throw;
        }
        return pending.Task;
    }

    /// <summary>Waits until every PubAck sent so far has arrived, failed or timed out (never throws for them).</summary>
    public async Task WaitForPendingAsync(CancellationToken cancellationToken = default)
    {
        Task[] tasks;
        lock (_pending) tasks = [.. _pending.Values.Select(p => p.Task)];
        if (tasks.Length == 0) return;
        try
        {
            await Task.WhenAll(tasks).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception) when (!cancellationToken.IsCancellationRequested)
        {
            // The failures belong to the individual tasks, which their owners observe.
        }
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        await _startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_subscription is not null) return;
            var inbox = _js.Connection.NewInbox();
            _replyPrefix = inbox + ".";
            var sub = await _js.Connection.SubscribeAsync(inbox + ".*", cancellationToken: cancellationToken).ConfigureAwait(false);
            _readLoop = Task.Run(() => ReadLoopAsync(sub), CancellationToken.None);
            _sweepLoop = Task.Run(SweepLoopAsync, CancellationToken.None);
            _subscription = sub;
        }
        finally
        {
            _startLock.Release();
        }
    }

    private async Task ReadLoopAsync(NatsSubscription sub)
    {
        var reader = sub.Msgs;
        try
        {
            while (await reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                // Slots go back in one batch per drained burst: one wake-up of a waiting publisher per burst, not per ack.
                int freed = 0;
                while (reader.TryRead(out var msg))
                {
                    if (Complete(msg)) freed++;
                    if (freed == 256)
                    {
                        _window.Release(freed);
                        freed = 0;
                    }
                }
                if (freed > 0) _window.Release(freed);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Resolves the pending ack the reply belongs to; true when that frees a window slot.</summary>
    private bool Complete(NatsMsg msg)
    {
        var subject = msg.Subject;
        int dot = subject.LastIndexOf('.');
        if (dot < 0 || !long.TryParse(subject.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long id)) return false;
        var pending = Remove(id);
        if (pending is null) return false; // already timed out: its task carries the timeout
        var error = PubAckParser.TryParse(msg, pending.Subject, ref _streamCache, out var ack);
        if (error is null) pending.TrySetResult(ack!);
        else pending.TrySetException(error);
        return true;
    }

    private PendingAck? Remove(long id)
    {
        lock (_pending) return _pending.Remove(id, out var p) ? p : null;
    }

    private async Task SweepLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Clamp(_ackTimeoutMs / 10, 10, 500)));
        var expired = new List<(long Id, PendingAck Ack)>();
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                long now = Environment.TickCount64;
                lock (_pending)
                {
                    foreach (var (id, p) in _pending)
                    {
                        if (p.Deadline <= now) expired.Add((id, p));
                    }
                    foreach (var (id, _) in expired) _pending.Remove(id);
                }
                foreach (var (_, p) in expired)
                {
                    _window.Release();
                    Interlocked.Increment(ref _timeouts);
                    p.TrySetException(new NatsTimeoutException($"no PubAck for the message published to '{p.Subject}' within {_ackTimeoutMs} ms; retry it with the same msg id"));
                }
                expired.Clear();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Stops listening; acks still outstanding fault with <see cref="NatsJSException"/>.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_readLoop is not null) await _readLoop.ConfigureAwait(false);
        if (_sweepLoop is not null) await _sweepLoop.ConfigureAwait(false);
        if (_subscription is not null) await _subscription.DisposeAsync().ConfigureAwait(false);
        PendingAck[] left;
        lock (_pending)
        {
            left = [.. _pending.Values];
            _pending.Clear();
        }
        foreach (var p in left) p.TrySetException(new NatsJSException($"publisher disposed before the PubAck for '{p.Subject}' arrived"));
        _stop.Dispose();
        _window.Dispose();
        _startLock.Dispose();
    }

    private sealed class PendingAck(string subject, long deadline) : TaskCompletionSource<PubAck>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public string Subject { get; } = subject;
        public long Deadline { get; } = deadline;
    }
}
