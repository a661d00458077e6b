using System.Threading.Channels;

namespace Siem.Nats.JetStream.Internal;

internal enum ReadOutcome
{
    Message,
    TimedOut,
    Completed,
}

/// <summary>
/// Reads a subscription with a per-wait timeout. The fast path (a message already buffered) allocates nothing;
/// only an empty channel arms the reusable timer.
/// </summary>
internal sealed class TimedReader(ChannelReader<NatsMsg> reader, CancellationToken cancellationToken) : IDisposable
{
    private volatile CancellationTokenSource _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
    private volatile bool _wake;

    /// <summary>Ends the current (or next) wait early with <see cref="ReadOutcome.TimedOut"/>; safe from any thread.</summary>
    public void Wake()
    {
        _wake = true;
        try
        {
            _timer.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // Replaced meanwhile: the flag is seen before the next wait.
        }
    }

    public async ValueTask<(ReadOutcome Outcome, NatsMsg Msg)> ReadAsync(TimeSpan wait)
    {
        while (true)
        {
            if (_wake)
            {
                _wake = false;
                return (ReadOutcome.TimedOut, default);
            }
            if (reader.TryRead(out var msg)) return (ReadOutcome.Message, msg);
            if (!_timer.TryReset())
            {
                _timer.Dispose();
                _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            }
            _timer.CancelAfter(wait);
            try
            {
                if (!await reader.WaitToReadAsync(_timer.Token).ConfigureAwait(false)) return (ReadOutcome.Completed, default);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                _wake = false; // a Wake during this wait is answered by this timeout
                return (ReadOutcome.TimedOut, default);
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
