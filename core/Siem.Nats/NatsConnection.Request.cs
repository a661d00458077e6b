using System.Buffers.Text;
using System.Collections.Concurrent;
using Siem.Nats.Internal;

namespace Siem.Nats;

public sealed partial class NatsConnection
{
    private readonly ConcurrentDictionary<long, TaskCompletionSource<NatsMsg>> _requests = new();
    private readonly SemaphoreSlim _muxLock = new(1, 1);
    private string? _inboxPrefix;
    private volatile string? _muxPrefix;
    private long _nextToken;

    /// <summary>A new unique inbox subject (<c>&lt;InboxPrefix&gt;.&lt;nuid&gt;</c>, by default <c>_INBOX.&lt;nuid&gt;</c>).</summary>
    public string NewInbox() => Opts.InboxPrefix + "." + Nuid.Next();

    /// <summary>Publishes a request and waits for the first reply. All requests share one wildcard inbox subscription
    /// (<c>_INBOX.&lt;nuid&gt;.*</c>); each request gets its own token.</summary>
    /// <exception cref="NatsNoRespondersException">nobody is subscribed to <paramref name="subject"/>.</exception>
    /// <exception cref="NatsTimeoutException">no reply within <paramref name="timeout"/> (default <see cref="NatsOpts.RequestTimeout"/>).</exception>
    public async ValueTask<NatsMsg> RequestAsync(string subject, ReadOnlyMemory<byte> data, NatsHeaders? headers = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var prefix = _muxPrefix ?? await EnsureMuxAsync(cancellationToken);
        long token = Interlocked.Increment(ref _nextToken);
        var tcs = new TaskCompletionSource<NatsMsg>(TaskCreationOptions.RunContinuationsAsynchronously);
        _requests[token] = tcs;
        var wait = timeout ?? Opts.RequestTimeout;
        try
        {
            await PublishAsync(subject, data, headers, prefix + token.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
            return await tcs.Task.WaitAsync(wait, cancellationToken);
        }
        catch (TimeoutException e)
        {
            throw new NatsTimeoutException($"no reply to the request on '{subject}' within {wait.TotalMilliseconds:0} ms", e);
        }
        finally
        {
            _requests.TryRemove(token, out _);
        }
    }

    private async ValueTask<string> EnsureMuxAsync(CancellationToken cancellationToken)
    {
        await _muxLock.WaitAsync(cancellationToken);
        try
        {
            if (_muxPrefix is null)
            {
                _inboxPrefix ??= NewInbox();
                await SubscribeCoreAsync(_inboxPrefix + ".*", null, isMux: true, cancellationToken);
                _muxPrefix = _inboxPrefix + ".";
            }
            return _muxPrefix;
        }
        finally
        {
            _muxLock.Release();
        }
    }

    /// <summary>A message on the muxed inbox: completes the request named by the last subject token.</summary>
    private void OnReply(ReadOnlySpan<byte> subject, NatsHeaders? headers, ReadOnlyMemory<byte> data, ReadOnlySpan<byte> replyTo)
    {
        int dot = subject.LastIndexOf((byte)'.');
        if (dot < 0 || !Utf8Parser.TryParse(subject[(dot + 1)..], out long token, out int used) || used != subject.Length - dot - 1) return;
        if (!_requests.TryRemove(token, out var tcs)) return; // late reply after timeout
        if (headers is { Code: 503 } && data.IsEmpty)
        {
            tcs.TrySetException(new NatsNoRespondersException($"no responders for the request (reply subject {System.Text.Encoding.UTF8.GetString(subject)})"));
            return;
        }
        var msg = new NatsMsg(System.Text.Encoding.UTF8.GetString(subject), replyTo.IsEmpty ? null : System.Text.Encoding.UTF8.GetString(replyTo), headers, data);
        tcs.TrySetResult(msg);
    }

    private void FailPendingRequests(Exception e)
    {
        foreach (var key in _requests.Keys)
        {
            if (_requests.TryRemove(key, out var tcs)) tcs.TrySetException(e);
        }
    }

    /// <summary>Unsubscribes every subscription, waits until the server confirmed (everything it sent before is then in
    /// the subscriptions' channels), completes the channels (buffered messages stay readable), flushes and closes.</summary>
    public async ValueTask DrainAsync(CancellationToken cancellationToken = default)
    {
        if (ConnectionState == NatsConnectionState.Open)
        {
            foreach (var sub in _subs.Values)
            {
                if (sub.IsMux) continue;
                await WriteCommandAsync(sub.Sid, static (w, sid) => ProtocolWriter.WriteUnsub(w, sid, null), cancellationToken);
            }
            await PingAsync(cancellationToken);
            foreach (var sub in _subs.Values)
            {
                if (!sub.IsMux) RemoveSubscription(sub);
            }
        }
        await DisposeAsync();
    }
}
