using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Retries one stream or bucket set-up step at start through the moments a NATS cluster cannot answer it yet. A
/// replicated stream someone has just created has no leader for a while (seconds on a loaded machine): requests only
/// its leader answers (stream info, message get) time out, and writes get "no responders" (only the leader subscribes
/// to the stream's subjects); a meta leader that does not know every peer yet refuses R3 placement ("no suitable
/// peers", 10005). Several engines starting together meet all three. Other errors are real and fail at once.
/// </summary>
public static class JetStreamSetUp
{
    /// <summary>How long a step is retried before its last error is thrown.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    public static async Task<T> RetryAsync<T>(Func<Task<T>> step, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        ArgumentNullException.ThrowIfNull(log);
        var deadline = DateTime.UtcNow + Patience;
        while (true)
        {
            try
            {
                return await step().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsTransient(ex) && DateTime.UtcNow < deadline)
            {
                log($"set-up step failed ({ex.Message}); retrying");
                await Task.Delay(500, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    public static Task RetryAsync(Func<Task> step, Action<string> log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(step);
        return RetryAsync(async () => { await step().ConfigureAwait(false); return true; }, log, cancellationToken);
    }

    private static bool IsTransient(Exception ex) =>
        ex is NatsTimeoutException or NatsNoRespondersException || ex is NatsJSApiException { ErrCode: 10005 };
}
