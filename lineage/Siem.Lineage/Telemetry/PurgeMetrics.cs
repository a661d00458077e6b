using System.Diagnostics.Metrics;

namespace Siem.Lineage.Telemetry;

/// <summary>Purge durations on the <c>Siem.Lineage</c> meter (exported by <c>siem serve</c> when OTLP is configured).</summary>
internal static class PurgeMetrics
{
    public const string MeterName = "Siem.Lineage";
    private static readonly Meter s_meter = new(MeterName);

    private static readonly Histogram<double> s_run = s_meter.CreateHistogram<double>(
        "siem.purge.duration", "s", "Wall time of one purge run (or resumption) from start to certificate, by outcome (certified, failed, interrupted)");

    private static readonly Histogram<double> s_step = s_meter.CreateHistogram<double>(
        "siem.purge.step.duration", "s", "Wall time of one purge step, by store");

    public static void Run(TimeSpan elapsed, string outcome) =>
        s_run.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("outcome", outcome));

    public static void Step(TimeSpan elapsed, string store) =>
        s_step.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("store", store));
}
