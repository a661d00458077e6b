using System.IO.Pipelines;
using Siem.Nats.Internal;

namespace Siem.Nats;

public sealed partial class NatsConnection
{
    /// <summary>Buffers a PUB/HPUB for the write loop. Completes when the command is in the outbound buffer (not when the
    /// server has it: use <see cref="PingAsync"/> to flush, or JetStream for acknowledgements). While disconnected the
    /// command is kept for after reconnect; when <see cref="NatsOpts.ReconnectBufferBytes"/> are buffered this waits for
    /// room (cancelling the wait does not withdraw the already buffered command).</summary>
    /// <exception cref="NatsPayloadTooLargeException">headers + data exceed the server's max_payload (nothing sent).</exception>
    public ValueTask PublishAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers = null, string? replyTo = null, CancellationToken cancellationToken = default)
    {
        ProtocolWriter.ValidateSubject(subject, nameof(subject));
        if (replyTo is not null) ProtocolWriter.ValidateSubject(replyTo, nameof(replyTo));
        ThrowIfNotUsable();
        int headerBytes = headers?.GetByteCount() ?? 0;
        long size = headerBytes + (long)data.Length;
        if (_serverInfo is { MaxPayload: > 0 } info && size > info.MaxPayload)
            throw new NatsPayloadTooLargeException(subject, size, info.MaxPayload);

        if (!_writeLock.Wait(0)) return PublishSlowAsync(subject, data, headers, headerBytes, replyTo, cancellationToken);
        ValueTask<FlushResult> flush;
        try
        {
            ThrowIfNotUsable();
            ProtocolWriter.WritePub(_outbound.Writer, subject, replyTo, headers, headerBytes, data.Span);
            CountOut(size);
            flush = _outbound.Writer.FlushAsync(cancellationToken);
        }
        catch
        {
            _writeLock.Release();
            throw;
        }
        if (flush.IsCompletedSuccessfully)
        {
            var completed = flush.Result.IsCompleted;
            _writeLock.Release();
            if (completed) throw ClosedException();
            return default;
        }
        return AwaitFlushAndReleaseAsync(flush);
    }

    private async ValueTask PublishSlowAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers, int headerBytes, string? replyTo, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfNotUsable();
            ProtocolWriter.WritePub(_outbound.Writer, subject, replyTo, headers, headerBytes, data.Span);
            CountOut(headerBytes + (long)data.Length);
            var result = await _outbound.Writer.FlushAsync(cancellationToken);
            if (result.IsCompleted) throw ClosedException();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    // Called under the write lock: one writer at a time, so plain adds; Volatile so readers see whole values.
    private void CountOut(long bytes)
    {
        Volatile.Write(ref _outMsgs, _outMsgs + 1);
        Volatile.Write(ref _outBytes, _outBytes + bytes);
    }

    private async ValueTask AwaitFlushAndReleaseAsync(ValueTask<FlushResult> flush)
    {
        try
        {
            var result = await flush;
            if (result.IsCompleted) throw ClosedException();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>Round trip to the server: completes when the server answered PONG, i.e. everything buffered before was
    /// sent and processed. Waits for an open connection while reconnecting.</summary>
    public async ValueTask PingAsync(CancellationToken cancellationToken = default)
    {
        await WaitOpenAsync(cancellationToken);
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await WriteCommandAsync((_pongWaiters, waiter), static (w, s) =>
        {
            s._pongWaiters.Enqueue(s.waiter);
            ProtocolWriter.WritePing(w);
        }, cancellationToken);
        await waiter.Task.WaitAsync(cancellationToken);
    }

    /// <summary>Writes one command into the outbound buffer under the write lock (waits for room when it is full).</summary>
    private async ValueTask WriteCommandAsync<TState>(TState state, Action<PipeWriter, TState> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            ThrowIfNotUsable();
            write(_outbound.Writer, state);
            var result = await _outbound.Writer.FlushAsync(cancellationToken);
            if (result.IsCompleted) throw ClosedException();
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private void ThrowIfNotUsable()
    {
        if (_closedReason is not null) throw ClosedException();
        if (ConnectionState == NatsConnectionState.Closed)
        {
            throw Volatile.Read(ref _disposed) != 0 ? ClosedException() : new NatsConnectionException("not connected; call ConnectAsync first");
        }
    }

    private NatsConnectionException ClosedException() => new("the connection is closed", _closedReason);
}
