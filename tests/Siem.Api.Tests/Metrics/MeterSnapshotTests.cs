using System.Diagnostics.Metrics;
using Siem.Api.Metrics;

namespace Siem.Api.Tests.Metrics;

/// <summary>What the status page reads from a process's own meters: the values an OTLP exporter would send.</summary>
public sealed class MeterSnapshotTests
{
    // A meter name of this test only: instruments of other tests running in parallel never mix in.
    private readonly string _name = "Siem.Tests." + Guid.NewGuid().ToString("N");

    [Fact]
    public void Observable_counters_and_gauges_are_read_at_each_look_and_recorded_counters_and_histograms_accumulate()
    {
        long received = 0;
        long? lag = null;
        using var meter = new Meter(_name);
        meter.CreateObservableCounter("siem.test.received", () => received, "{message}");
        meter.CreateObservableCounter("siem.test.quarantined", () => new[]
        {
            new Measurement<long>(2, new KeyValuePair<string, object?>("reason", "bad_signature")),
            new Measurement<long>(1, new KeyValuePair<string, object?>("reason", "unknown_agent")),
        });
        meter.CreateObservableGauge("siem.test.lag", () => lag is { } v ? [new Measurement<long>(v)] : Array.Empty<Measurement<long>>(), "{message}");
        var errors = meter.CreateCounter<long>("siem.test.errors");
        var duration = meter.CreateHistogram<double>("siem.test.duration", "s");
        using var other = new Meter(_name + ".other");
        other.CreateObservableCounter("siem.other.ignored", () => 99L);
        using var snapshot = new MeterSnapshot([_name]);

        var empty = snapshot.Read();
        received = 40;
        lag = 7;
        errors.Add(1);
        errors.Add(2, new KeyValuePair<string, object?>("sink", "sqlite"));
        duration.Record(1.5, new KeyValuePair<string, object?>("outcome", "certified"));
        duration.Record(0.5, new KeyValuePair<string, object?>("outcome", "certified"));
        var after = snapshot.Read();
        received = 41;
        lag = 0;
        var again = snapshot.Read();

        Assert.Equal([
            new MetricReading("siem.test.quarantined", "counter", "reason=bad_signature", 2),
            new MetricReading("siem.test.quarantined", "counter", "reason=unknown_agent", 1),
            new MetricReading("siem.test.received", "counter", null, 0, "{message}"),
        ], empty);
        Assert.Equal([
            new MetricReading("siem.test.duration", "histogram", "outcome=certified", 1.0, "s", Count: 2, Sum: 2.0, Max: 1.5),
            new MetricReading("siem.test.errors", "counter", null, 1),
            new MetricReading("siem.test.errors", "counter", "sink=sqlite", 2),
            new MetricReading("siem.test.lag", "gauge", null, 7, "{message}"),
            new MetricReading("siem.test.quarantined", "counter", "reason=bad_signature", 2),
            new MetricReading("siem.test.quarantined", "counter", "reason=unknown_agent", 1),
            new MetricReading("siem.test.received", "counter", null, 40, "{message}"),
        ], after);
        Assert.Equal(41, again.Single(r => r.Name == "siem.test.received").Value);
        Assert.Equal(0, again.Single(r => r.Name == "siem.test.lag").Value);
        Assert.Equal(2, again.Single(r => r.Name == "siem.test.duration").Count);
    }

    [Fact]
    public void Two_meters_of_one_name_add_up_and_instruments_created_after_the_snapshot_are_seen()
    {
        using var snapshot = new MeterSnapshot([_name]);
        using var first = new Meter(_name);
        using var second = new Meter(_name);
        first.CreateObservableCounter("siem.test.events_indexed", () => 10L);
        second.CreateObservableCounter("siem.test.events_indexed", () => 5L);

        Assert.Equal([new MetricReading("siem.test.events_indexed", "counter", null, 15)], snapshot.Read());
    }

    [Fact]
    public void A_disposed_meter_stops_being_read()
    {
        using var snapshot = new MeterSnapshot([_name]);
        var meter = new Meter(_name);
        meter.CreateObservableGauge("siem.test.lag", () => 3L);
        Assert.Single(snapshot.Read());

        meter.Dispose();

        Assert.Empty(snapshot.Read());
    }
}
