using NodaTime;
using Siem.Nats;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Watermark ticks: a partition sees only the matches routed to it, so its event time would stand still between them
/// and a window decided at its close (an upper bound such as <c>lt</c>, <c>value_avg</c>, <c>value_percentile</c>)
/// would wait for the next match of that partition. Every <see cref="ScaleOutOptions.WatermarkInterval"/> this engine
/// tells every partition how far the event time of its committed groups has come, through SIEM_CORR, so a takeover's
/// replay closes the windows at the same places. Only while such a correlation is loaded.
/// </summary>
public sealed partial class CorrelationPartitions
{
    private Task _watermarkLoop = Task.CompletedTask;
    private Instant? _ticked;
    private long _ticksPublished, _tickErrors;

    /// <summary>Watermark ticks this engine published (one per partition each).</summary>
    public long WatermarkTicks => Interlocked.Read(ref _ticksPublished);

    /// <summary>Watermark ticks that failed to publish (retried with the next, later watermark).</summary>
    public long WatermarkErrors => Interlocked.Read(ref _tickErrors);

    /// <summary>True when <paramref name="rule"/>'s windows are decided when they close rather than when a match arrives.</summary>
    public static bool DecidedAtClose(CorrelationRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return !rule.Condition.IsLowerBoundOnly || rule.Type is CorrelationType.ValueAvg or CorrelationType.ValuePercentile;
    }

    private async Task WatermarkLoopAsync()
    {
        using var timer = new PeriodicTimer(_context.Options.WatermarkInterval);
        bool failing = false;
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token).ConfigureAwait(false))
            {
                if (Router.Watermark is not { } watermark || watermark <= _ticked || !Volatile.Read(ref _rules).Any(DecidedAtClose)) continue;
                try
                {
                    await Router.PublishWatermarkAsync(watermark, _stop.Token).ConfigureAwait(false);
                    _ticked = watermark;
                    Interlocked.Increment(ref _ticksPublished);
                    failing = false;
                }
                catch (NatsException ex)
                {
                    Interlocked.Increment(ref _tickErrors);
                    if (!failing) _log($"correlation partitions: watermark tick failed ({ex.Message}); retrying every {_context.Options.WatermarkInterval.TotalSeconds:0.#} s");
                    failing = true;
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }
}
