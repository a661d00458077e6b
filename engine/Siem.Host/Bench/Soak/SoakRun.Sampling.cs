using System.Diagnostics;
using System.Globalization;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench.Soak;

internal sealed partial class SoakRun
{
    private async Task SampleAsync(double elapsedSeconds, double offeredRate, double indexedRate, SoakLatencySink sink, SoakEngine engine, NatsJSContext js,
        Dictionary<string, int> pids, string phase, CancellationToken cancellationToken)
    {
        if (engine.Fault != null) throw new InvalidOperationException("the engine stopped", engine.Fault);
        long lag = await LagAsync(js, cancellationToken).ConfigureAwait(false);
        var (p50, p99) = sink.TakeInterval();
        var rss = pids.ToDictionary(p => p.Key, p => SoakNative.RssBytes(p.Value), StringComparer.Ordinal);
        var sample = new SoakSample(elapsedSeconds, offeredRate, indexedRate, lag, p50, p99, rss);
        _samples.Add(sample);
        _log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"soak {phase} {elapsedSeconds,6:0.0} s: offered {offeredRate,7:0}/s indexed {indexedRate,7:0}/s lag {lag,6} msgs p50 {p50,5} ms p99 {p99,5} ms RSS {string.Join(" ", rss.Select(r => $"{r.Key} {r.Value / 1048576.0:0.0} MB"))}"));
    }

    /// <summary>Consumer lag in messages: not yet delivered + delivered and not yet acked; -1 when the broker did not answer.</summary>
    private static async Task<long> LagAsync(NatsJSContext js, CancellationToken cancellationToken)
    {
        try
        {
            var info = await js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, cancellationToken).ConfigureAwait(false);
            return (long)info.NumPending + info.NumAckPending;
        }
        catch (Exception e) when (e is NatsException or TimeoutException)
        {
            return -1;
        }
    }

    /// <summary>
    /// After the load: waits until every agent checkpointed its whole file and the index holds every offered line
    /// (at most max(60 s, twice the run's length): the issue's recovery target); returns whether it got there. Keeps sampling meanwhile.
    /// </summary>
    private async Task<bool> DrainAsync(List<SoakAgent> agents, string indexDb, long offered, SoakLatencySink sink, SoakEngine engine, NatsJSContext js,
        Dictionary<string, int> pids, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var limit = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(60).Ticks, 2 * _o.Duration.Ticks));
        double start = _samples.Count > 0 ? _samples[^1].ElapsedSeconds : 0;
        long lastIndexed = sink.Written;
        var lastSample = TimeSpan.Zero;
        while (clock.Elapsed < limit)
        {
            // Cheap checks first: the audit query scans the whole index and would compete with the engine it waits for.
            if (agents.All(a => a.CaughtUp()) && await LagAsync(js, cancellationToken).ConfigureAwait(false) == 0
                && SoakIndexAudit.Read(indexDb).DistinctOriginals >= offered)
            {
                _log.WriteLine($"soak: drained {clock.Elapsed.TotalSeconds:0.0} s after the load stopped");
                return true;
            }
            if (clock.Elapsed - lastSample >= _o.Interval)
            {
                var elapsed = clock.Elapsed;
                long indexed = sink.Written;
                await SampleAsync(start + elapsed.TotalSeconds, 0, (indexed - lastIndexed) / (elapsed - lastSample).TotalSeconds, sink, engine, js, pids, "drain", cancellationToken).ConfigureAwait(false);
                (lastSample, lastIndexed) = (elapsed, indexed);
            }
            await Task.Delay(250, cancellationToken).ConfigureAwait(false);
        }
        _log.WriteLine($"soak: not everything was indexed {limit.TotalSeconds:0} s after the load stopped");
        return false;
    }
}
