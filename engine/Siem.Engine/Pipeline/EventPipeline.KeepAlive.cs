using System.Collections.Concurrent;
using System.Diagnostics;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

public sealed partial class EventPipeline
{
    /// <summary>Messages pulled and not yet settled (acked, naked or released), with when the server last heard about them.</summary>
    private readonly ConcurrentDictionary<NatsJSMsg, long> _outstanding = new(ReferenceEqualityComparer.Instance);

    /// <summary>
    /// Tells the server "still working" (+WPI) for every pulled message older than a third of AckWait, so a message
    /// waiting in the buffer behind slow groups (big agent batches, a busy machine) is not redelivered while it is
    /// queued here — a redelivery would only be indexed again (idempotently) and add load exactly when there is too much.
    /// </summary>
    private async Task KeepAliveAsync(CancellationToken cancellationToken)
    {
        var every = TimeSpan.FromTicks(Math.Max(_options.AckWait.Ticks / 3, TimeSpan.FromMilliseconds(100).Ticks));
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(every, cancellationToken).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                foreach (var (msg, since) in _outstanding)
                {
                    if (Stopwatch.GetElapsedTime(since, now) < every) continue;
                    try
                    {
                        await msg.InProgressAsync(cancellationToken).ConfigureAwait(false);
                        _outstanding.TryUpdate(msg, now, since);
                    }
                    catch (NatsException)
                    {
                        // Disconnected: the server redelivers after AckWait and the write is idempotent.
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
