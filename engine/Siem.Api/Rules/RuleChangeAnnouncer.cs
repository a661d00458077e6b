using Siem.Nats;

namespace Siem.Api.Rules;

/// <summary>
/// Tells running engines that the rules changed (<paramref name="announce"/>: a put on the control bucket). A change is
/// saved in the data dir before it is announced, so when NATS is down the announcement is kept pending — one, since
/// engines reload every rule anyway — and made when the connection is open again, retried every
/// <see cref="RetryInterval"/> while JetStream is not answering yet. Nothing waits for it: the HTTP call that changed a
/// rule has answered already.
/// </summary>
public sealed class RuleChangeAnnouncer : IDisposable
{
    private readonly Func<CancellationToken, Task<ulong>> _announce;
    private readonly NatsConnection _connection;
    private readonly Action<string> _info;
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _announcing = new(1, 1);
    private int _pending;
    private Task? _retrying;

    public RuleChangeAnnouncer(Func<CancellationToken, Task<ulong>> announce, NatsConnection connection, Action<string> info)
    {
        _announce = announce ?? throw new ArgumentNullException(nameof(announce));
        _connection = connection ?? throw new ArgumentNullException(nameof(connection));
        _info = info ?? throw new ArgumentNullException(nameof(info));
        _connection.ConnectionStateChanged += OnStateChanged;
    }

    public TimeSpan RetryInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>True while a change is saved but not yet announced.</summary>
    public bool Pending => Volatile.Read(ref _pending) == 1;

    /// <summary>A rule changed: announce it now, or keep it pending (true = announced).</summary>
    public async Task<bool> ChangedAsync()
    {
        Volatile.Write(ref _pending, 1);
        if (await TryAnnounceAsync(afterOutage: false).ConfigureAwait(false)) return true;
        lock (_wake)
            _retrying ??= Task.Run(RetryAsync);
        return false;
    }

    private async Task<bool> TryAnnounceAsync(bool afterOutage)
    {
        await _announcing.WaitAsync(_stop.Token).ConfigureAwait(false);
        try
        {
            // Cleared before the put, so a change made while it is in flight is announced again.
            if (Interlocked.Exchange(ref _pending, 0) == 0) return true;
            ulong revision = await _announce(_stop.Token).ConfigureAwait(false);
            _info(afterOutage
                ? $"rule changes made while NATS was unreachable announced to the engines (revision {revision})"
                : $"rule change announced to the engines (revision {revision})");
            return true;
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException && !_stop.IsCancellationRequested)
        {
            Volatile.Write(ref _pending, 1);
            if (!afterOutage)
                _info($"rule change saved but not announced to the engines ({ex.Message}); it is announced when NATS is reachable again");
            return false;
        }
        finally
        {
            _announcing.Release();
        }
    }

    /// <summary>Runs while a change is pending: tries again when the connection opens, and every retry interval.</summary>
    private async Task RetryAsync()
    {
        try
        {
            while (true)
            {
                await _wake.WaitAsync(RetryInterval, _stop.Token).ConfigureAwait(false);
                if (_connection.ConnectionState != NatsConnectionState.Open || !Pending) continue;
                await TryAnnounceAsync(afterOutage: true).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private void OnStateChanged(object? sender, NatsConnectionState state)
    {
        if (state == NatsConnectionState.Open && Pending) _wake.Release();
    }

    public void Dispose()
    {
        _connection.ConnectionStateChanged -= OnStateChanged;
        _stop.Cancel();
        try
        {
            _retrying?.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Stopped.
        }
        _stop.Dispose();
    }
}
