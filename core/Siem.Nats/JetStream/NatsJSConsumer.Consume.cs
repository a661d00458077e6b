using System.Runtime.CompilerServices;
using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

public sealed partial class NatsJSConsumer
{
    /// <summary>
    /// Pulls continuously: asks for <paramref name="batchSize"/> messages and asks again for the difference as
    /// soon as half of them arrived, so the next batch is on its way before this one is used up. Each pull expires
    /// after <paramref name="expires"/> (default 30 s) and asks for idle heartbeats at half that (at most 30 s).
    /// Three missed heartbeats or a reconnect start a fresh pull, because the server may have lost the old one.
    /// Ends only by cancellation, connection close or a fatal consumer status (deleted).
    /// <paramref name="batchSize"/> may not exceed <see cref="NatsOpts.SubscriptionCapacity"/>: a whole batch then always
    /// fits in the subscription's channel, so a loop that awaits <see cref="NatsJSMsg.AckSyncAsync"/> (a request on
    /// the same connection) never parks the connection's read loop behind its own unread messages.
    /// </summary>
    public async IAsyncEnumerable<NatsJSMsg> ConsumeAsync(int batchSize = 500, TimeSpan? expires = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var connection = _js.Connection;
        if (batchSize > connection.Opts.SubscriptionCapacity)
            throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, $"consumer {Stream}/{Name}: batch size may not exceed NatsOpts.SubscriptionCapacity ({connection.Opts.SubscriptionCapacity})");
        var exp = expires ?? TimeSpan.FromSeconds(30);
        ArgumentOutOfRangeException.ThrowIfLessThan(exp, TimeSpan.FromSeconds(1), nameof(expires));
        var heartbeat = TimeSpan.FromTicks(Math.Min(exp.Ticks / 2, TimeSpan.FromSeconds(30).Ticks));
        int refillAt = Math.Max(1, batchSize / 2);
        var inbox = connection.NewInbox();
        var sub = await connection.SubscribeAsync(inbox, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var subscription = sub.ConfigureAwait(false);
        using var reader = new TimedReader(sub.Msgs, cancellationToken);

        int repull = 0;
        void OnState(object? sender, NatsConnectionState state)
        {
            if (state != NatsConnectionState.Open) return;
            Volatile.Write(ref repull, 1);
            reader.Wake();
        }
        connection.ConnectionStateChanged += OnState;
        try
        {
            int pending = 0;
            while (true)
            {
                if (Interlocked.Exchange(ref repull, 0) == 1) pending = 0;
                if (pending <= refillAt && connection.ConnectionState == NatsConnectionState.Open)
                {
                    await SendPullAsync(inbox, batchSize - pending, exp, heartbeat, cancellationToken).ConfigureAwait(false);
                    pending = batchSize;
                }
                var (outcome, msg) = await reader.ReadAsync(heartbeat * 3).ConfigureAwait(false);
                if (outcome == ReadOutcome.Completed) yield break;
                if (outcome == ReadOutcome.TimedOut)
                {
                    // Neither messages nor heartbeats (the pull is lost: server restarted, route gone), or a
                    // reconnect woke us: pull afresh.
                    pending = 0;
                    continue;
                }
                if (IsStatus(msg, out int code))
                {
                    switch (code)
                    {
                        case 100:
                            break;
                        case 404 or 408 or 409:
                            if (code == 409) ThrowIfFatal409(msg);
                            // The pull that ended names how many of its messages it did not deliver; without
                            // that number, assume nothing is pending and pull afresh.
                            int left = PendingMessages(msg);
                            pending = left > 0 ? Math.Max(0, pending - left) : 0;
                            break;
                        default:
                            throw new NatsJSException($"consumer {Stream}/{Name}: unexpected status {code} {msg.Headers?.Description}");
                    }
                    continue;
                }
                pending--;
                yield return new NatsJSMsg(msg, connection);
            }
        }
        finally
        {
            connection.ConnectionStateChanged -= OnState;
        }
    }
}
