namespace Siem.Host.Bench.Soak;

/// <summary>One ~5 s sample of a soak run: rates over the interval, consumer lag and latency at its end, RSS per process (name → bytes).</summary>
internal sealed record SoakSample(double ElapsedSeconds, double OfferedPerSecond, double IndexedPerSecond, long LagMessages, long P50Ms, long P99Ms, IReadOnlyDictionary<string, long> RssBytes);
