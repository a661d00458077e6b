using Siem.Engine.Alerts;
using Siem.Nats.JetStream;

namespace Siem.Engine.Channels;

public sealed partial class DurableAlertDelivery
{
    /// <summary>Returned when the message was nak'd with a delay (a paced update, a resolve not due yet): no state write, no ack.</summary>
    private static readonly DeliveryState Delayed = new(-1, -1, -1, false);

    /// <summary>
    /// One message for one channel. Order per message: send → write the channel's state → ack, so a crash before the
    /// state write resends (the receiver's idempotency key absorbs it) and a crash after it only re-acks.
    /// </summary>
    private async Task HandleAsync(ChannelWorker w, NatsJSMsg msg, CancellationToken cancellationToken)
    {
        string action = msg.Headers?[AlertNoticeHeaders.Action] ?? "";
        AlertDocument alert;
        try
        {
            alert = AlertJson.Deserialize(msg.Data.Span);
        }
        catch (Exception ex) when (ex is System.Text.Json.JsonException or FormatException or InvalidOperationException or KeyNotFoundException or NodaTime.Text.UnparsableValueException)
        {
            Interlocked.Increment(ref _unreadable);
            _log($"alert delivery to '{w.Channel.Name}': stream message {msg.Metadata.StreamSeq} on {msg.Subject} is not an alert ({ex.Message}); skipped");
            await msg.TermAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (alert.AlertId.Length == 0 || !w.Route.Matches(alert))
        {
            await msg.AckAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        string key = $"{w.Token}.{Token(alert.AlertId)}";
        var state = await ReadStateAsync(key, cancellationToken).ConfigureAwait(false);
        using var keepAlive = KeepAlive(msg);
        var next = action switch
        {
            AlertNoticeHeaders.ResolveAction => await ResolveAsync(w, alert, state, cancellationToken).ConfigureAwait(false),
            AlertNoticeHeaders.ExpireAction => await ExpireAsync(w, msg, alert, state, cancellationToken).ConfigureAwait(false),
            _ => await DeliverStateAsync(w, msg, alert, state, cancellationToken).ConfigureAwait(false),
        };
        if (ReferenceEquals(next, Delayed)) return; // it comes back when it is due
        if (next != null && next != state) await _state!.PutAsync(key, next.ToJson(), cancellationToken).ConfigureAwait(false);
        // Confirmed, so "idle" means nothing is left for redelivery (alerts are few; the round trip does not matter).
        await msg.AckSyncAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>An alert state from the engine: new to the channel, an update (paced), or one the channel already has.</summary>
    private async Task<DeliveryState?> DeliverStateAsync(ChannelWorker w, NatsJSMsg msg, AlertDocument alert, DeliveryState? state, CancellationToken cancellationToken)
    {
        long now = _options.Time.GetUtcNow().ToUnixTimeMilliseconds();
        if (state == null)
        {
            var outcome = await _dispatcher.DeliverNoticeAsync(w.Channel, alert, AlertNotice.New, cancellationToken).ConfigureAwait(false);
            // Dead-lettered: no state, so the next update is sent as the whole alert.
            if (!outcome.Delivered) return state;
            if (w.Channel is IResolvableAlertChannel && _options.ResolveAfterWindow != null)
                await AlertResolutionPublisher.PublishAsync(_js, alert, AlertNoticeHeaders.ExpireAction, cancellationToken).ConfigureAwait(false);
            return new DeliveryState(alert.Count, now, alert.Count, false);
        }
        if (state.Resolved || alert.Count <= state.Count || alert.Count < state.LatestSeen)
        {
            // Already told (a redelivery), resolved (no updates after a resolve), or a newer count is waiting to go out.
            Interlocked.Increment(ref _superseded);
            return state;
        }
        long due = state.SentUnixMs + (long)_options.UpdateInterval.TotalMilliseconds;
        if (now < due)
        {
            Interlocked.Increment(ref _updatesPaced);
            await _state!.PutAsync(KeyOf(w, alert), (state with { LatestSeen = alert.Count }).ToJson(), cancellationToken).ConfigureAwait(false);
            await msg.NakAsync(TimeSpan.FromMilliseconds(due - now), cancellationToken).ConfigureAwait(false);
            return Delayed;
        }
        var update = await _dispatcher.DeliverNoticeAsync(w.Channel, alert, AlertNotice.Update, cancellationToken).ConfigureAwait(false);
        return update.Delivered ? new DeliveryState(alert.Count, now, alert.Count, false) : state with { LatestSeen = alert.Count };
    }

    /// <summary>Closed through triage: channels that opened something for the alert resolve it, once.</summary>
    private async Task<DeliveryState?> ResolveAsync(ChannelWorker w, AlertDocument alert, DeliveryState? state, CancellationToken cancellationToken)
    {
        if (w.Channel is not IResolvableAlertChannel || state == null || state.Resolved) return state;
        var outcome = await _dispatcher.DeliverNoticeAsync(w.Channel, alert, AlertNotice.Resolve, cancellationToken).ConfigureAwait(false);
        if (!outcome.Delivered) return state;
        Interlocked.Increment(ref _resolved);
        return state with { Resolved = true };
    }

    /// <summary>A resolve check for the end of the suppression window: waits (delayed nak) until first seen + window, then resolves.</summary>
    private async Task<DeliveryState?> ExpireAsync(ChannelWorker w, NatsJSMsg msg, AlertDocument alert, DeliveryState? state, CancellationToken cancellationToken)
    {
        if (w.Channel is not IResolvableAlertChannel || state == null || state.Resolved || _options.ResolveAfterWindow is not { } window) return state;
        var due = (alert.FirstSeen + window).ToDateTimeOffset();
        var wait = due - _options.Time.GetUtcNow();
        if (wait > TimeSpan.Zero)
        {
            // Checked again when due (at most hourly, so a long window does not pin one delayed redelivery for days).
            await msg.NakAsync(wait < TimeSpan.FromHours(1) ? wait : TimeSpan.FromHours(1), cancellationToken).ConfigureAwait(false);
            return Delayed;
        }
        return await ResolveAsync(w, alert, state, cancellationToken).ConfigureAwait(false);
    }

    private static string KeyOf(ChannelWorker w, AlertDocument alert) => $"{w.Token}.{Token(alert.AlertId)}";

    private async Task<DeliveryState?> ReadStateAsync(string key, CancellationToken cancellationToken)
    {
        var entry = await _state!.GetAsync(key, cancellationToken).ConfigureAwait(false);
        if (entry == null || entry.Operation != Siem.Nats.JetStream.KvOperation.Put || entry.Value.IsEmpty) return null;
        return DeliveryState.Parse(entry.Value.Span);
    }

    /// <summary>Tells the server the message is still being worked on (retries can outlast the ack wait), until disposed.</summary>
    private IDisposable KeepAlive(NatsJSMsg msg)
    {
        var cts = new CancellationTokenSource();
        var token = cts.Token;
        var period = TimeSpan.FromTicks(Math.Max(_options.AckWait.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks));
        _ = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(period);
            try
            {
                while (await timer.WaitForNextTickAsync(token).ConfigureAwait(false))
                    await msg.InProgressAsync(token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or Siem.Nats.NatsException)
            {
                // Stopped, or the connection is gone (then the message is redelivered anyway).
            }
        }, CancellationToken.None);
        return new CancelOnDispose(cts);
    }

    private sealed class CancelOnDispose(CancellationTokenSource cts) : IDisposable
    {
        public void Dispose()
        {
            cts.Cancel();
            cts.Dispose();
        }
    }
}
