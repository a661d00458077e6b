using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Telemetry;

/// <summary>
/// Reads the durable consumer's info every <c>interval</c> so metrics can report consumer lag (pending messages)
/// without a JetStream request inside an exporter callback. A failed read keeps the last figures and is logged once
/// per failure streak.
/// </summary>
public sealed class ConsumerLagProbe : IAsyncDisposable
{
    private readonly NatsJSContext _js;
    private readonly string _stream;
    private readonly string _durable;
    private readonly TimeSpan _interval;
    private readonly Action<string> _log;
    private readonly CancellationTokenSource _stop = new();
    private Task? _loop;
    private long _pending = -1, _ackPending = -1;
    private bool _everRead;
    private string? _lastError;

    public ConsumerLagProbe(NatsJSContext js, string stream, string durable, TimeSpan? interval = null, Action<string>? log = null)
    {
        _js = js ?? throw new ArgumentNullException(nameof(js));
        _stream = stream;
        _durable = durable;
        _interval = interval ?? TimeSpan.FromSeconds(10);
        _log = log ?? (_ => { });
    }

    /// <summary>Messages not yet delivered to the consumer; null before the first successful read.</summary>
    public long? Pending => Interlocked.Read(ref _pending) is var p and >= 0 ? p : null;

    /// <summary>Messages delivered and awaiting their ack; null before the first successful read.</summary>
    public long? AckPending => Interlocked.Read(ref _ackPending) is var p and >= 0 ? p : null;

    /// <summary>Starts reading in the background: at once, then every interval. The durable may not exist yet (the
    /// pipeline creates it), so failures are logged only after three in a row, or once after a success.</summary>
    public void Start() => _loop ??= Task.Run(LoopAsync, CancellationToken.None);

    /// <summary>Reads the consumer info once; false (figures kept) when it could not be read.</summary>
    public async Task<bool> ReadOnceAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            var info = await _js.GetConsumerInfoAsync(_stream, _durable, cancellationToken).ConfigureAwait(false);
            Interlocked.Exchange(ref _pending, info.NumPending > long.MaxValue ? long.MaxValue : (long)info.NumPending);
            Interlocked.Exchange(ref _ackPending, info.NumAckPending);
            return true;
        }
        catch (NatsException e)
        {
            _lastError = e.Message;
            return false;
        }
    }

    private async Task LoopAsync()
    {
        int failures = 0;
        using var timer = new PeriodicTimer(_interval);
        try
        {
            do
            {
                if (await ReadOnceAsync(_stop.Token).ConfigureAwait(false))
                {
                    if (failures >= 3) _log($"consumer lag: reading {_stream}/{_durable} works again");
                    failures = 0;
                    _everRead = true;
                }
                else if (++failures == (_everRead ? 1 : 3))
                {
                    _log($"consumer lag: cannot read {_stream}/{_durable} (keeping the last figures): {_lastError}");
                    failures = 3;
                }
            }
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false));
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null) await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
