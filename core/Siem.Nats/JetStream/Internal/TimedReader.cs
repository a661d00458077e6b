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
    private CancellationTokenSource _timer = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

    public async ValueTask<(ReadOutcome Outcome, NatsMsg Msg)> ReadAsync(TimeSpan wait)
    {
        while (true)
        {
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
                return (ReadOutcome.TimedOut, default);
            }
        }
    }

    public void Dispose() => _timer.Dispose();
}
