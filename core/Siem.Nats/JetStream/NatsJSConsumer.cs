using System.Runtime.CompilerServices;
using System.Text.Json;
using Siem.Nats.JetStream.Internal;

namespace Siem.Nats.JetStream;

/// <summary>
/// A pull consumer. <see cref="FetchAsync"/> pulls one batch; <see cref="ConsumeAsync"/> pulls continuously.
/// Both read from a private inbox; the server's status messages (100 heartbeat, 404/408 nothing more, 409
/// limits) steer the loop and are never yielded.
/// </summary>
public sealed partial class NatsJSConsumer
{
    private const string PendingMessagesHeader = "Nats-Pending-Messages";
    private readonly NatsJSContext _js;

    internal NatsJSConsumer(NatsJSContext js, ConsumerInfo info)
    {
        _js = js;
        Info = info;
    }

    public string Stream => Info.StreamName;
    public string Name => Info.Name;

    /// <summary>As of creation or the last <see cref="RefreshAsync"/>.</summary>
    public ConsumerInfo Info { get; private set; }

    public async Task<ConsumerInfo> RefreshAsync(CancellationToken cancellationToken = default)
        => Info = await _js.GetConsumerInfoAsync(Stream, Name, cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Pulls up to <paramref name="maxMsgs"/> messages and ends when they all came, when the pull expires
    /// (default 30 s) or when the server says there is nothing more. With <paramref name="idleHeartbeat"/>, two
    /// missed heartbeats fail the fetch with <see cref="NatsJSException"/> (the server is gone).
    /// </summary>
    public async IAsyncEnumerable<NatsJSMsg> FetchAsync(int maxMsgs, TimeSpan? expires = null, TimeSpan? idleHeartbeat = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMsgs, 1);
        var exp = expires ?? TimeSpan.FromSeconds(30);
        if (idleHeartbeat is { } hbCheck && hbCheck >= exp)
            throw new ArgumentOutOfRangeException(nameof(idleHeartbeat), $"idle heartbeat {hbCheck} must be shorter than expires {exp}");
        var connection = _js.Connection;
        var inbox = connection.NewInbox();
        var sub = await connection.SubscribeAsync(inbox, cancellationToken: cancellationToken).ConfigureAwait(false);
        await using var subscription = sub.ConfigureAwait(false);
        using var reader = new TimedReader(sub.Msgs, cancellationToken);
        await SendPullAsync(inbox, maxMsgs, exp, idleHeartbeat, cancellationToken).ConfigureAwait(false);

        // Without heartbeats, wait a little past the expiry for the server's 408; with them, two missed beats.
        var deadline = DateTime.UtcNow + exp + TimeSpan.FromSeconds(1);
        int received = 0;
        while (received < maxMsgs)
        {
            var wait = idleHeartbeat is { } hb ? hb * 2 : deadline - DateTime.UtcNow;
            if (wait <= TimeSpan.Zero) yield break;
            var (outcome, msg) = await reader.ReadAsync(wait).ConfigureAwait(false);
            if (outcome == ReadOutcome.Completed) yield break;
            if (outcome == ReadOutcome.TimedOut)
            {
                if (idleHeartbeat is null || DateTime.UtcNow >= deadline) yield break;
                throw new NatsJSException($"consumer {Stream}/{Name}: fetch missed two idle heartbeats ({idleHeartbeat}); is the server reachable?");
            }
            if (IsStatus(msg, out int code))
            {
                if (code == 100) continue;
                if (code is 404 or 408) yield break;
                if (code == 409) { ThrowIfFatal409(msg); yield break; }
                throw new NatsJSException($"consumer {Stream}/{Name}: unexpected status {code} {msg.Headers?.Description}");
            }
            received++;
            yield return new NatsJSMsg(msg, connection);
        }
    }

    internal ValueTask SendPullAsync(string inbox, int batch, TimeSpan expires, TimeSpan? idleHeartbeat, CancellationToken cancellationToken)
    {
        var request = new PullRequest(batch, expires.Ticks * 100, idleHeartbeat is { } hb ? hb.Ticks * 100 : null, null, null);
        var body = JsonSerializer.SerializeToUtf8Bytes(request, JetStreamJson.Default.PullRequest);
        return _js.Connection.PublishAsync(_js.ApiSubject($"CONSUMER.MSG.NEXT.{Stream}.{Name}"), body, replyTo: inbox, cancellationToken: cancellationToken);
    }

    /// <summary>A status message: headers with a code and no payload.</summary>
    internal static bool IsStatus(NatsMsg msg, out int code)
    {
        code = msg.Headers?.Code ?? 0;
        return code != 0 && msg.Data.IsEmpty;
    }

    /// <summary>409s that end a pull normally (limits, expiry) are fine; a deleted consumer is not.</summary>
    private void ThrowIfFatal409(NatsMsg msg)
    {
        var description = msg.Headers?.Description ?? "";
        if (description.Contains("Deleted", StringComparison.OrdinalIgnoreCase) || description.Contains("push based", StringComparison.OrdinalIgnoreCase))
            throw new NatsJSException($"consumer {Stream}/{Name}: {description}");
    }

    internal static int PendingMessages(NatsMsg msg)
        => int.TryParse(msg.Headers?[PendingMessagesHeader], out int n) ? n : 0;
}
