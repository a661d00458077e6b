using System.Text.Json;
using Siem.Nats;

namespace Siem.Api.Metrics;

/// <summary>
/// Every <c>siem serve</c> process publishes what its meters read (<see cref="MeterSnapshot"/>) on core NATS subject
/// <c>siem.metrics.&lt;pid&gt;</c> at start and then every <see cref="Interval"/>, so the console of an API process
/// shows the engines and purges of the whole deployment, not only its own process. Fire and forget: a reading
/// published while NATS is away is skipped (counted in <see cref="Skipped"/>); the next one carries the totals.
/// </summary>
public sealed class MetricsBroadcaster : IAsyncDisposable
{
    public const string SubjectPrefix = "siem.metrics.";
    private readonly NatsConnection _nats;
    private readonly MeterSnapshot _snapshot;
    private readonly Func<IReadOnlyList<MetricReading>, ProcessMetrics> _describe;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    /// <summary>How often a process publishes its readings (the board calls a process stale after three missed).</summary>
    public static TimeSpan Interval { get; } = TimeSpan.FromSeconds(5);

    public long Published { get; private set; }
    public long Skipped { get; private set; }

    private MetricsBroadcaster(NatsConnection nats, MeterSnapshot snapshot, Func<IReadOnlyList<MetricReading>, ProcessMetrics> describe)
    {
        _nats = nats;
        _snapshot = snapshot;
        _describe = describe;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts publishing the readings of <paramref name="meterNames"/> for this process (instance name, roles).</summary>
    public static MetricsBroadcaster Start(NatsConnection nats, IEnumerable<string> meterNames, string instance, IReadOnlyList<string> roles, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(nats);
        var clock = time ?? TimeProvider.System;
        int pid = Environment.ProcessId;
        string host = Environment.MachineName;
        return new MetricsBroadcaster(nats, new MeterSnapshot(meterNames), readings => new ProcessMetrics(instance, host, pid, roles, clock.GetUtcNow(), readings));
    }

    private async Task LoopAsync()
    {
        string subject = SubjectPrefix + Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture);
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var body = JsonSerializer.SerializeToUtf8Bytes(_describe(_snapshot.Read()), MetricsJson.Options);
                if (_nats.ConnectionState == NatsConnectionState.Open)
                {
                    await _nats.PublishAsync(subject, body, cancellationToken: _stop.Token).ConfigureAwait(false);
                    Published++;
                }
                else
                {
                    Skipped++;
                }
            }
            catch (NatsException)
            {
                Skipped++; // the connection dropped between the check and the publish
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
        }
        while (await WaitAsync(timer).ConfigureAwait(false));
    }

    private async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try
        {
            return await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _snapshot.Dispose();
        _stop.Dispose();
    }
}
