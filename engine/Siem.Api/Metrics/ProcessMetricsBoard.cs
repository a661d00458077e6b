using System.Text.Json;
using Siem.Nats;

namespace Siem.Api.Metrics;

/// <summary>
/// The API process's view of every <c>siem serve</c> process: the latest reading each one broadcast on
/// <c>siem.metrics.&gt;</c> (<see cref="MetricsBroadcaster"/>). A process that has not reported for three intervals
/// is shown as stale; after <see cref="Forget"/> it is dropped. At most <see cref="Capacity"/> processes are kept:
/// when full, the one heard from longest ago makes room (counted in <see cref="Evicted"/>). Unreadable messages are
/// counted in <see cref="Rejected"/>, never shown.
/// </summary>
public sealed class ProcessMetricsBoard : IAsyncDisposable
{
    public const int Capacity = 256;
    private static readonly TimeSpan Forget = TimeSpan.FromMinutes(10);
    private readonly Dictionary<string, ProcessMetrics> _latest = [];
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly NatsSubscription? _subscription;
    private readonly Task _reader = Task.CompletedTask;
    private readonly Func<ProcessMetrics>? _local;

    public long Evicted { get; private set; }
    public long Rejected { get; private set; }

    private ProcessMetricsBoard(NatsSubscription? subscription, TimeProvider time, Func<ProcessMetrics>? local = null)
    {
        _subscription = subscription;
        _time = time;
        _local = local;
        if (subscription != null) _reader = Task.Run(() => ReadAsync(subscription));
    }

    /// <summary>Listens on <c>siem.metrics.&gt;</c>; the subscription is in place when this returns.</summary>
    public static async Task<ProcessMetricsBoard> StartAsync(NatsConnection nats, TimeProvider? time = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nats);
        var subscription = await nats.SubscribeAsync(MetricsBroadcaster.SubjectPrefix + ">", cancellationToken: cancellationToken).ConfigureAwait(false);
        return new ProcessMetricsBoard(subscription, time ?? TimeProvider.System);
    }

    /// <summary>A board of this process only, read at each look (the demo: engine, API and purges in one process, no broadcast).</summary>
    public static ProcessMetricsBoard Local(Func<ProcessMetrics> read, TimeProvider? time = null) =>
        new(null, time ?? TimeProvider.System, read ?? throw new ArgumentNullException(nameof(read)));

    internal void Add(ProcessMetrics reading)
    {
        ArgumentNullException.ThrowIfNull(reading);
        lock (_gate)
        {
            if (!_latest.ContainsKey(reading.Key) && _latest.Count >= Capacity)
            {
                _latest.Remove(_latest.MinBy(kv => kv.Value.At).Key);
                Evicted++;
            }
            _latest[reading.Key] = reading;
        }
    }

    /// <summary>Every process heard from in the last 10 minutes, by instance and pid, with whether it is stale.</summary>
    public IReadOnlyList<(ProcessMetrics Reading, bool Stale)> Processes()
    {
        if (_local != null) Add(_local());
        var now = _time.GetUtcNow();
        lock (_gate)
        {
            foreach (var gone in _latest.Where(kv => now - kv.Value.At > Forget).Select(kv => kv.Key).ToList()) _latest.Remove(gone);
            return [.. _latest.Values
                .OrderBy(p => p.Instance, StringComparer.Ordinal).ThenBy(p => p.Host, StringComparer.Ordinal).ThenBy(p => p.Pid)
                .Select(p => (p, now - p.At > 3 * MetricsBroadcaster.Interval))];
        }
    }

    private async Task ReadAsync(NatsSubscription subscription)
    {
        try
        {
            await foreach (var m in subscription.ReadAllAsync().ConfigureAwait(false))
            {
                ProcessMetrics? reading;
                try
                {
                    reading = JsonSerializer.Deserialize<ProcessMetrics>(m.Data.Span, MetricsJson.Options);
                }
                catch (JsonException)
                {
                    reading = null;
                }
                if (reading is { Instance: not null, Host: not null, Roles: not null, Metrics: not null }) Add(reading);
                else lock (_gate) Rejected++;
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (NatsException)
        {
            // The subscription ended with the connection's disposal.
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_subscription != null) await _subscription.DisposeAsync().ConfigureAwait(false);
        await _reader.ConfigureAwait(false);
    }
}
