using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// The figures of a soak run. RSS growth per process = (mean of the last three load samples − mean of the first three
/// samples after the warm-up) / the latter; <see cref="RssGrowthPct"/> is the largest over the engine and the agents
/// (nats-server is reported but not part of it: its memory follows the stream it holds).
/// </summary>
internal sealed record SoakResult(long Offered, long Indexed, long Lost, long Duplicates, long P50LatencyMs, long P99LatencyMs, double RssGrowthPct,
    IReadOnlyDictionary<string, double> RssGrowthByProcess, IReadOnlyDictionary<string, long> PeakRssByProcess, bool Drained, double WarmupSeconds, IReadOnlyList<SoakSample> Samples)
{
    public static SoakResult From(SoakOptions o, long offered, SoakIndexAudit audit, bool drained, long p50, long p99, IReadOnlyList<SoakSample> samples, int loadSamples)
    {
        double warmup = o.EffectiveWarmup.TotalSeconds;
        var load = samples.Take(loadSamples).ToList();
        var afterWarmup = load.Where(s => s.ElapsedSeconds >= warmup).ToList();
        var growth = new Dictionary<string, double>(StringComparer.Ordinal);
        var peak = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var name in samples.SelectMany(s => s.RssBytes.Keys).Distinct(StringComparer.Ordinal))
        {
            peak[name] = samples.Max(s => s.RssBytes.GetValueOrDefault(name));
            if (afterWarmup.Count < 2) continue;
            double baseline = afterWarmup.Take(3).Average(s => (double)s.RssBytes.GetValueOrDefault(name));
            double end = afterWarmup.TakeLast(3).Average(s => (double)s.RssBytes.GetValueOrDefault(name));
            if (baseline > 0) growth[name] = Math.Round((end - baseline) / baseline * 100, 1);
        }
        double headline = growth.Where(g => g.Key != "nats-server").Select(g => g.Value).DefaultIfEmpty(0).Max();
        return new SoakResult(offered, audit.DistinctOriginals, audit.Lost(offered), audit.Duplicates, p50, p99, headline, growth, peak, drained, warmup, samples);
    }

    /// <summary>The one-line summary the issue asks for, exactly these keys in this order.</summary>
    public string SummaryJson() => string.Create(CultureInfo.InvariantCulture,
        $"{{\"offered\":{Offered},\"indexed\":{Indexed},\"lost\":{Lost},\"duplicates\":{Duplicates},\"p99_latency_ms\":{P99LatencyMs},\"rss_growth_pct\":{RssGrowthPct:0.0}}}");

    /// <summary>Writes samples.csv, report.json and soak.png into <paramref name="dir"/>.</summary>
    public void WriteReport(string dir)
    {
        Directory.CreateDirectory(dir);
        var processes = Samples.SelectMany(s => s.RssBytes.Keys).Distinct(StringComparer.Ordinal).ToList();
        var csv = new StringBuilder("elapsed_s,offered_per_s,indexed_per_s,lag_messages,p50_ms,p99_ms," + string.Join(",", processes.Select(p => $"rss_{p}_bytes")) + "\n");
        foreach (var s in Samples)
        {
            csv.Append(string.Create(CultureInfo.InvariantCulture, $"{s.ElapsedSeconds:0.0},{s.OfferedPerSecond:0},{s.IndexedPerSecond:0},{s.LagMessages},{s.P50Ms},{s.P99Ms},"));
            csv.Append(string.Join(",", processes.Select(p => s.RssBytes.GetValueOrDefault(p).ToString(CultureInfo.InvariantCulture)))).Append('\n');
        }
        File.WriteAllText(Path.Combine(dir, "samples.csv"), csv.ToString());
        File.WriteAllText(Path.Combine(dir, "report.json"), JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["offered"] = Offered, ["indexed"] = Indexed, ["lost"] = Lost, ["duplicates"] = Duplicates,
            ["p50_latency_ms"] = P50LatencyMs, ["p99_latency_ms"] = P99LatencyMs, ["rss_growth_pct"] = RssGrowthPct,
            ["rss_growth_pct_by_process"] = RssGrowthByProcess, ["peak_rss_bytes_by_process"] = PeakRssByProcess,
            ["drained"] = Drained, ["warmup_seconds"] = WarmupSeconds, ["samples"] = Samples.Count,
        }, new JsonSerializerOptions { WriteIndented = true }));
        File.WriteAllBytes(Path.Combine(dir, "soak.png"), PlotChart.Render(Samples));
    }
}
