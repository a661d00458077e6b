using System.Collections.Concurrent;
using System.IO.Pipelines;
using Siem.Nats.Internal;

namespace Siem.Nats;

/// <summary>
/// A NATS connection: one socket, a read loop that parses server operations and a single write loop that
/// coalesces every buffered command into large socket writes. Survives server loss by reconnecting (see
/// <see cref="NatsOpts"/>): subscriptions are re-established and commands published meanwhile are kept in the
/// outbound buffer (up to <see cref="NatsOpts.ReconnectBufferBytes"/>, then publishers wait).
/// Core NATS delivery is at most once per connection: commands already written to a socket that then dies may be lost
/// or, when a write fails half way, sent again after reconnect; use JetStream for acknowledged delivery.
/// </summary>
public sealed partial class NatsConnection : IAsyncDisposable
{
    private readonly Pipe _outbound;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly CancellationTokenSource _disposeCts = new();
    private readonly ConcurrentDictionary<long, NatsSubscription> _subs = new();
    private readonly ConcurrentQueue<TaskCompletionSource?> _pongWaiters = new();
    private readonly List<ServerAddress> _pool = [];
    private readonly Lock _poolLock = new();
    private volatile TaskCompletionSource _openTcs;
    private Task? _supervisor;
    private int _state = (int)NatsConnectionState.Closed;
    private int _pingsOut;
    private int _disposed;
    private long _nextSid;
    private volatile NatsServerInfo? _serverInfo;
    private Exception? _closedReason;
    private long _inMsgs;
    private long _inBytes;
    private long _outMsgs;
    private long _outBytes;
    private long _reconnects;
    private long _disconnects;

    public NatsConnection(NatsOpts? opts = null)
    {
        Opts = opts ?? NatsOpts.Default;
        if (Opts.Servers.Count == 0) throw new ArgumentException("NatsOpts.Servers is empty; give at least one nats:// or tls:// URL", nameof(opts));
        if (Opts.SubscriptionCapacity < 1) throw new ArgumentException("NatsOpts.SubscriptionCapacity must be at least 1", nameof(opts));
        if (Opts.ReconnectBufferBytes < 1024) throw new ArgumentException("NatsOpts.ReconnectBufferBytes must be at least 1024", nameof(opts));
        if (string.IsNullOrEmpty(Opts.InboxPrefix) || Opts.InboxPrefix.AsSpan().IndexOfAny(" \t\r\n*>") >= 0 || Opts.InboxPrefix.EndsWith('.'))
            throw new ArgumentException($"NatsOpts.InboxPrefix '{Opts.InboxPrefix}' must be a subject without wildcards, spaces or a trailing dot (for example _INBOX.agent.web-01)", nameof(opts));
        foreach (var url in Opts.Servers) _pool.Add(ServerAddress.Parse(url));
        long pause = Opts.ReconnectBufferBytes;
        _outbound = new Pipe(new PipeOptions(
            pauseWriterThreshold: pause,
            resumeWriterThreshold: Math.Max(1, pause / 2),
            minimumSegmentSize: 16 * 1024,
            useSynchronizationContext: false));
        _openTcs = NewOpenTcs();
    }

    public NatsOpts Opts { get; }

    public NatsConnectionState ConnectionState => (NatsConnectionState)Volatile.Read(ref _state);

    /// <summary>INFO of the server currently (or last) connected to; null before the first connection.</summary>
    public NatsServerInfo? ServerInfo => _serverInfo;

    /// <summary>Raised on every state change (synchronously, from the connection's own tasks: keep handlers short).</summary>
    public event EventHandler<NatsConnectionState>? ConnectionStateChanged;

    /// <summary>Asynchronous errors: -ERR from the server (for example a permissions violation) and lost connections.</summary>
    public event EventHandler<NatsException>? Error;

    /// <summary>Message/byte/reconnect counters (cheap to read; values are a consistent-enough snapshot).</summary>
    public NatsConnectionStats Stats => new(
        Interlocked.Read(ref _inMsgs), Interlocked.Read(ref _inBytes), Interlocked.Read(ref _outMsgs),
        Interlocked.Read(ref _outBytes), Interlocked.Read(ref _reconnects), Interlocked.Read(ref _disconnects));

    /// <summary>Address of the server currently connected to (null while disconnected).</summary>
    public string? ConnectedUrl => _transport?.Server.ToString();

    /// <summary>Connects to one of <see cref="NatsOpts.Servers"/> (random order, each tried once). Throws
    /// <see cref="NatsAuthorizationException"/> when the server rejects the credentials, otherwise
    /// <see cref="NatsConnectionException"/> naming every server tried and why it failed.</summary>
    public async ValueTask ConnectAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.CompareExchange(ref _state, (int)NatsConnectionState.Connecting, (int)NatsConnectionState.Closed) != (int)NatsConnectionState.Closed)
        {
            if (_closedReason is not null) throw new NatsConnectionException("the connection was closed for good; create a new one", _closedReason);
            await WaitOpenAsync(cancellationToken);
            return;
        }
        RaiseStateChanged(NatsConnectionState.Connecting);
        var errors = new List<string>();
        NatsAuthorizationException? authError = null;
        foreach (var server in ShuffledPool())
        {
            try
            {
                var transport = await ConnectOnceAsync(server, cancellationToken);
                StartSupervisor(transport);
                return;
            }
            catch (NatsAuthorizationException e)
            {
                authError = e;
                errors.Add(e.Message);
            }
            catch (NatsException e)
            {
                errors.Add(e.Message);
            }
            catch (OperationCanceledException)
            {
                SetState(NatsConnectionState.Closed);
                throw;
            }
        }
        SetState(NatsConnectionState.Closed);
        // Release concurrent ConnectAsync callers that were waiting for this attempt.
        var waiting = _openTcs;
        _openTcs = NewOpenTcs();
        waiting.TrySetException(new NatsConnectionException("connecting failed: " + string.Join("; ", errors), authError));
        if (authError is not null && errors.Count == 1) throw authError;
        throw new NatsConnectionException("could not connect to any NATS server: " + string.Join("; ", errors), authError);
    }

    /// <summary>Flushes what is buffered (bounded by <see cref="NatsOpts.ConnectTimeout"/>), closes the socket, completes
    /// every subscription's channel (buffered messages stay readable) and fails pending requests.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (ConnectionState == NatsConnectionState.Open)
        {
            using var flushCts = new CancellationTokenSource(Opts.ConnectTimeout);
            try
            {
                await PingAsync(flushCts.Token);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException)
            {
                // Best effort: the socket is closed below either way.
            }
        }
        await CloseAsync(new NatsConnectionException("the connection was disposed"));
        // The semaphores and the CTS are left to the GC: publishers released by the close still call Release/inspect the
        // token on their way out, and none of them allocated a wait handle.
    }

    /// <summary>Stops everything for good: loops, socket, outbound buffer, subscriptions, requests.</summary>
    private async Task CloseAsync(Exception reason)
    {
        _closedReason ??= reason;
        await _disposeCts.CancelAsync();
        if (_supervisor is not null)
        {
            try
            {
                await _supervisor;
            }
            catch (OperationCanceledException)
            {
            }
        }
        SetState(NatsConnectionState.Closed);
        _openTcs.TrySetException(new NatsConnectionException("the connection is closed", _closedReason));
        // Completing the reader releases publishers waiting for buffer space (their flush reports completion).
        await _outbound.Reader.CompleteAsync();
        foreach (var sub in _subs.Values) sub.Complete(null);
        _subs.Clear();
        FailPendingRequests(new NatsConnectionException("the connection was closed before the reply arrived", _closedReason));
        FailPongWaiters(new NatsConnectionException("the connection was closed before PONG", _closedReason));
    }

    private IEnumerable<ServerAddress> ShuffledPool()
    {
        ServerAddress[] servers;
        lock (_poolLock) servers = [.. _pool];
        Random.Shared.Shuffle(servers);
        return servers;
    }

    private void SetState(NatsConnectionState state)
    {
        if (Interlocked.Exchange(ref _state, (int)state) != (int)state) RaiseStateChanged(state);
        if (state == NatsConnectionState.Open) _openTcs.TrySetResult();
        else if (_openTcs.Task.IsCompleted && state != NatsConnectionState.Closed) _openTcs = NewOpenTcs();
    }

    private void RaiseStateChanged(NatsConnectionState state)
    {
        try
        {
            ConnectionStateChanged?.Invoke(this, state);
        }
#pragma warning disable CA1031 // a faulty user handler must not break the connection's loops
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private void RaiseError(NatsException error)
    {
        try
        {
            Error?.Invoke(this, error);
        }
#pragma warning disable CA1031 // a faulty user handler must not break the connection's loops
        catch (Exception)
#pragma warning restore CA1031
        {
        }
    }

    private static TaskCompletionSource NewOpenTcs() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Waits until the connection is open (returns at once when it is).</summary>
    private Task WaitOpenAsync(CancellationToken cancellationToken)
    {
        if (ConnectionState == NatsConnectionState.Open) return Task.CompletedTask;
        if (ConnectionState == NatsConnectionState.Closed)
            throw new NatsConnectionException(_closedReason is null ? "not connected; call ConnectAsync first" : "the connection is closed", _closedReason);
        return _openTcs.Task.WaitAsync(cancellationToken);
    }
}
