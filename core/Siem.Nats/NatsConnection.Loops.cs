using System.Buffers;
using System.Text;
using Siem.Nats.Internal;

namespace Siem.Nats;

public sealed partial class NatsConnection
{
    private const int WriteChunk = 64 * 1024;
    private volatile Transport? _transport;
    private int _pendingPongs;
    private NatsSubscription? _blockedSub;
    private NatsMsg _blockedMsg;
    private volatile bool _readParked;

    private void StartSupervisor(Transport transport)
    {
        _transport = transport;
        _pingsOut = 0;
        SetState(NatsConnectionState.Open);
        _supervisor = Task.Run(() => SuperviseAsync(transport));
    }

    /// <summary>Runs one connection's loops until one of them fails, then reconnects (or closes for good).</summary>
    private async Task SuperviseAsync(Transport transport)
    {
        while (true)
        {
            using var connCts = CancellationTokenSource.CreateLinkedTokenSource(_disposeCts.Token);
            var read = ReadLoopAsync(transport, connCts.Token);
            var write = WriteLoopAsync(transport, connCts.Token);
            var ping = PingLoopAsync(connCts.Token);
            var first = await Task.WhenAny(read, write, ping);
            await connCts.CancelAsync();
            transport.Abort();
            try
            {
                await Task.WhenAll(read, write, ping);
            }
#pragma warning disable CA1031 // the loops' errors are reported below; shutting them down must not throw
            catch (Exception)
#pragma warning restore CA1031
            {
            }
            transport.Dispose();
            _transport = null;
            var cause = first.Exception?.GetBaseException();
            if (_disposeCts.IsCancellationRequested) return;
            Interlocked.Increment(ref _disconnects);
            var lost = new NatsConnectionException($"connection to {transport.Server} lost: {cause?.Message ?? "closed"}", cause);
            RaiseError(lost);
            FailPongWaiters(lost);
            SetState(NatsConnectionState.Reconnecting);
            var next = await ReconnectAsync();
            if (next is null) return;
            transport = next;
            _transport = transport;
            Interlocked.Increment(ref _reconnects);
            _pingsOut = 0;
            SetState(NatsConnectionState.Open);
        }
    }

    /// <summary>Rounds over the server pool with exponential backoff and jitter; null when given up or disposed.</summary>
    private async Task<Transport?> ReconnectAsync()
    {
        var min = Opts.ReconnectWaitMin.TotalMilliseconds;
        var max = Math.Max(min, Opts.ReconnectWaitMax.TotalMilliseconds);
        Exception? last = null;
        for (int round = 0; Opts.MaxReconnectAttempts < 0 || round < Opts.MaxReconnectAttempts; round++)
        {
            foreach (var server in ShuffledPool())
            {
                try
                {
                    return await ConnectOnceAsync(server, _disposeCts.Token);
                }
                catch (NatsException e)
                {
                    last = e;
                }
                catch (OperationCanceledException) when (_disposeCts.IsCancellationRequested)
                {
                    return null;
                }
            }
            double wait = Math.Min(max, min * Math.Pow(2, Math.Min(round, 30)));
            wait *= 0.5 + (Random.Shared.NextDouble() * 0.5);
            try
            {
                await Task.Delay(TimeSpan.FromMilliseconds(wait), _disposeCts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }
        }
        var reason = new NatsConnectionException($"gave up reconnecting after {Opts.MaxReconnectAttempts} rounds over the server list: {last?.Message}", last);
        RaiseError(reason);
        _ = Task.Run(() => CloseAsync(reason));
        return null;
    }

    private async Task ReadLoopAsync(Transport transport, CancellationToken cancellationToken)
    {
        var reader = transport.Reader;
        _pendingPongs = 0; // PINGs of a previous connection are not answered on this one
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            // Bytes arriving prove the server is alive; PONGs can lag far behind a large backlog of messages.
            if (!buffer.IsEmpty) Volatile.Write(ref _pingsOut, 0);
            ParseBuffer(ref buffer);
            if (_blockedSub is { } sub)
            {
                // The subscription's channel is full: stop reading the socket until the subscriber catches up.
                reader.AdvanceTo(buffer.Start);
                var msg = _blockedMsg;
                _blockedSub = null;
                _blockedMsg = default;
                // Only disposal cancels this wait: a message already taken off the socket is not dropped because the
                // connection died meanwhile (reconnecting waits for the subscriber instead).
                _readParked = true;
                try
                {
                    await sub.DeliverAsync(msg, _disposeCts.Token);
                }
                finally
                {
                    _readParked = false;
                }
                if (_completeAfterBlocked)
                {
                    _completeAfterBlocked = false;
                    sub.Complete(null);
                }
            }
            else
            {
                reader.AdvanceTo(buffer.Start, result.Buffer.End);
                if (result.IsCompleted) throw new NatsConnectionException("the server closed the connection");
            }
            while (_pendingPongs > 0)
            {
                _pendingPongs--;
                await WriteCommandAsync(0, static (w, _) => ProtocolWriter.WritePong(w), cancellationToken);
            }
        }
    }

    private void ParseBuffer(ref ReadOnlySequence<byte> buffer)
    {
        var handler = new ReadHandler(this);
        while (_blockedSub is null && ProtocolParser.TryParse(ref buffer, ref handler))
        {
        }
    }

    /// <summary>The only writer to the socket: takes everything buffered and writes it in 64 KiB chunks.</summary>
    private async Task WriteLoopAsync(Transport transport, CancellationToken cancellationToken)
    {
        var reader = _outbound.Reader;
        var chunk = ArrayPool<byte>.Shared.Rent(WriteChunk);
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(cancellationToken);
                var buffer = result.Buffer;
                bool written = false;
                try
                {
                    int n = 0;
                    foreach (var segment in buffer)
                    {
                        var rest = segment;
                        while (!rest.IsEmpty)
                        {
                            int c = Math.Min(rest.Length, chunk.Length - n);
                            rest.Span[..c].CopyTo(chunk.AsSpan(n));
                            n += c;
                            rest = rest[c..];
                            if (n == chunk.Length)
                            {
                                await transport.Stream.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
                                n = 0;
                            }
                        }
                    }
                    if (n > 0) await transport.Stream.WriteAsync(chunk.AsMemory(0, n), cancellationToken);
                    await transport.Stream.FlushAsync(cancellationToken);
                    written = true;
                }
                finally
                {
                    // A failed write leaves the whole batch buffered (it starts at a command boundary) to be sent again
                    // after reconnect: a command may be duplicated, never cut in half.
                    reader.AdvanceTo(written ? buffer.End : buffer.Start);
                }
                if (result.IsCompleted || result.IsCanceled) return;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }

    private async Task PingLoopAsync(CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(Opts.PingInterval);
        while (await timer.WaitForNextTickAsync(cancellationToken))
        {
            if (_readParked)
            {
                // PONGs wait behind the parked message: a slow subscriber must not look like a dead server.
                Volatile.Write(ref _pingsOut, 0);
                continue;
            }
            if (Volatile.Read(ref _pingsOut) >= Opts.MaxPingsOut)
                throw new NatsConnectionException($"stale connection: {Opts.MaxPingsOut} PINGs without PONG");
            Interlocked.Increment(ref _pingsOut);
            await WriteCommandAsync(_pongWaiters, static (w, q) =>
            {
                q.Enqueue(null);
                ProtocolWriter.WritePing(w);
            }, cancellationToken);
        }
    }

    private void OnServerInfo(ReadOnlySpan<byte> json)
    {
        var info = ParseInfo(json);
        _serverInfo = info;
        AddConnectUrls(info, _transport?.Server.Tls ?? false);
    }

    private void OnServerError(ReadOnlySpan<byte> text)
    {
        var err = Encoding.UTF8.GetString(text);
        NatsException e = IsAuthError(err)
            ? new NatsAuthorizationException($"server: '{err}'")
            : new NatsServerErrorException(err, $"from {_transport?.Server}");
        RaiseError(e);
    }

    private void OnPong()
    {
        Volatile.Write(ref _pingsOut, 0);
        if (_pongWaiters.TryDequeue(out var waiter)) waiter?.TrySetResult();
    }

    /// <summary>PINGs written to a socket that died will never be answered, so their waiters fail. Known limit: a PING
    /// still in the outbound buffer at that moment is sent after reconnect and its PONG completes the next waiter a
    /// little early (PingAsync waits for an open connection before queueing to keep this window small).</summary>
    private void FailPongWaiters(Exception e)
    {
        while (_pongWaiters.TryDequeue(out var waiter)) waiter?.TrySetException(e);
    }

    /// <summary>Connects parser callbacks to the connection (a struct, so the generic parser calls it directly).</summary>
    private readonly struct ReadHandler(NatsConnection connection) : IServerOpHandler
    {
        public void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload) =>
            connection.OnMsg(subject, sid, replyTo, headers, payload);

        public void OnInfo(ReadOnlySpan<byte> json) => connection.OnServerInfo(json);

        public void OnPing() => connection._pendingPongs++;

        public void OnPong() => connection.OnPong();

        public void OnOk()
        {
        }

        public void OnErr(ReadOnlySpan<byte> text) => connection.OnServerError(text);
    }
}
