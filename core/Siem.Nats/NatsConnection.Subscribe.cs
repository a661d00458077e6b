using System.Buffers;
using System.Text;
using Siem.Nats.Internal;

namespace Siem.Nats;

public sealed partial class NatsConnection
{
    /// <summary>Subscribes (optionally in a queue group). The subscription is re-established after reconnects.</summary>
    public async ValueTask<NatsSubscription> SubscribeAsync(string subject, string? queueGroup = null, CancellationToken cancellationToken = default)
    {
        ProtocolWriter.ValidateSubject(subject, nameof(subject));
        if (queueGroup is not null) ProtocolWriter.ValidateSubject(queueGroup, nameof(queueGroup));
        return await SubscribeCoreAsync(subject, queueGroup, isMux: false, cancellationToken);
    }

    private async ValueTask<NatsSubscription> SubscribeCoreAsync(string subject, string? queueGroup, bool isMux, CancellationToken cancellationToken)
    {
        ThrowIfNotUsable();
        long sid = Interlocked.Increment(ref _nextSid);
        var sub = new NatsSubscription(this, sid, subject, queueGroup, Opts.SubscriptionCapacity, isMux);
        _subs[sid] = sub;
        try
        {
            await WriteCommandAsync(sub, static (w, s) => ProtocolWriter.WriteSub(w, s.Subject, s.QueueGroup, s.Sid), cancellationToken);
        }
        catch
        {
            _subs.TryRemove(sid, out _);
            throw;
        }
        return sub;
    }

    internal async ValueTask UnsubscribeAsync(NatsSubscription sub, int? maxMsgs)
    {
        if (maxMsgs is { } max)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(max, 1, nameof(maxMsgs));
            sub.SetMax(max);
            if (sub.Delivered >= max)
            {
                RemoveSubscription(sub);
                return;
            }
        }
        else
        {
            RemoveSubscription(sub);
        }
        if (ConnectionState == NatsConnectionState.Closed) return;
        try
        {
            await WriteCommandAsync((sub.Sid, maxMsgs), static (w, s) => ProtocolWriter.WriteUnsub(w, s.Sid, s.maxMsgs), default);
        }
        catch (NatsConnectionException)
        {
            // Closed meanwhile: the server forgot the subscription with the connection.
        }
    }

    private void RemoveSubscription(NatsSubscription sub)
    {
        if (_subs.TryRemove(sub.Sid, out _)) sub.Complete(null);
    }

    /// <summary>Called by the read loop for MSG/HMSG: builds the message (subject string, owned data copy, headers) and
    /// hands it to the subscription, or parks it when the subscription's channel is full.</summary>
    private void OnMsg(ReadOnlySpan<byte> subject, long sid, ReadOnlySpan<byte> replyTo, in ReadOnlySequence<byte> headers, in ReadOnlySequence<byte> payload)
    {
        // Only the read loop writes these counters.
        Volatile.Write(ref _inMsgs, _inMsgs + 1);
        Volatile.Write(ref _inBytes, _inBytes + headers.Length + payload.Length);
        if (!_subs.TryGetValue(sid, out var sub)) return; // unsubscribed meanwhile: the server may still have sent some
        var hdrs = headers.Length > 0 ? NatsHeaders.Parse(headers) : null;
        var data = payload.Length == 0 ? ReadOnlyMemory<byte>.Empty : payload.ToArray();
        if (sub.IsMux)
        {
            OnReply(subject, hdrs, data, replyTo);
            return;
        }
        string subj = sub.IsLiteral && Utf8Equals(subject, sub.Subject) ? sub.Subject : Encoding.UTF8.GetString(subject);
        var msg = new NatsMsg(subj, replyTo.IsEmpty ? null : Encoding.UTF8.GetString(replyTo), hdrs, data);
        bool last = sub.CountAndCheckLast();
        if (!sub.TryWrite(msg))
        {
            _blockedSub = sub;
            _blockedMsg = msg;
        }
        if (last)
        {
            // The server removes the subscription after max msgs; complete after the parked message (if any) is written.
            _subs.TryRemove(sid, out _);
            if (_blockedSub is null) sub.Complete(null);
            else _completeAfterBlocked = true;
        }
    }

    private bool _completeAfterBlocked;

    private static bool Utf8Equals(ReadOnlySpan<byte> utf8, string s)
    {
        if (utf8.Length != s.Length) return false;
        for (int i = 0; i < utf8.Length; i++)
        {
            if (utf8[i] != s[i]) return false;
        }
        return true;
    }
}
