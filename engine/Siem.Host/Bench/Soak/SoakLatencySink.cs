using System.Globalization;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Search;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// Wraps the index: after a write is confirmed, each event's end-to-end latency (now − the <c>t=</c> Unix-ms the
/// writer put in the line when it appended it) goes into two fixed millisecond histograms, one for the whole run and
/// one reset per sample — fixed arrays, so measuring does not grow the memory being measured.
/// </summary>
internal sealed class SoakLatencySink(IIndexSink inner) : IIndexSink
{
    private const int MaxMs = 300_000;
    private readonly long[] _total = new long[MaxMs + 1];
    private readonly long[] _interval = new long[MaxMs + 1];
    private long _written;

    /// <summary>Events in confirmed writes (a redelivered batch counts again).</summary>
    public long Written => Interlocked.Read(ref _written);

    public async Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
    {
        await inner.WriteAsync(events, alerts, cancellationToken).ConfigureAwait(false);
        long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        lock (_total)
        {
            foreach (var e in events)
            {
                int at = e.Original.LastIndexOf(" t=", StringComparison.Ordinal);
                if (at < 0 || !long.TryParse(e.Original.AsSpan(at + 3), NumberStyles.None, CultureInfo.InvariantCulture, out long written) || written == 0) continue;
                int ms = (int)Math.Clamp(now - written, 0, MaxMs);
                _total[ms]++;
                _interval[ms]++;
            }
        }
        Interlocked.Add(ref _written, events.Count);
    }

    /// <summary>p50 and p99 of the interval since the last call (then resets it); (0, 0) when nothing was written.</summary>
    public (long P50, long P99) TakeInterval()
    {
        lock (_total)
        {
            var result = (Percentile(_interval, 0.50), Percentile(_interval, 0.99));
            Array.Clear(_interval);
            return result;
        }
    }

    public long TotalPercentile(double p)
    {
        lock (_total) return Percentile(_total, p);
    }

    private static long Percentile(long[] histogram, double p)
    {
        long count = 0;
        foreach (long c in histogram) count += c;
        if (count == 0) return 0;
        long rank = (long)Math.Ceiling(p * count), seen = 0;
        for (int ms = 0; ms < histogram.Length; ms++)
        {
            seen += histogram[ms];
            if (seen >= rank) return ms;
        }
        return MaxMs;
    }

    public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.SearchAsync(request, cancellationToken);
    public Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.CountAsync(request, cancellationToken);
    public Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(ids, cancellationToken);
    public ValueTask DisposeAsync() => inner.DisposeAsync();
}
