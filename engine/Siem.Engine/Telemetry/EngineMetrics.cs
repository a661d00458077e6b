using System.Diagnostics.Metrics;
using Siem.Engine.Channels;
using Siem.Engine.Pipeline;

namespace Siem.Engine.Telemetry;

/// <summary>
/// The engine's counters on the <c>Siem.Engine</c> <see cref="Meter"/>: observable instruments read the existing
/// <see cref="EngineStats"/>, alert delivery and consumer-lag figures when an exporter collects, so the hot path keeps
/// its plain interlocked counters. Dispose to remove the instruments.
/// </summary>
public sealed class EngineMetrics : IDisposable
{
    public const string MeterName = "Siem.Engine";
    private readonly Meter _meter;

    public EngineMetrics(EngineStats stats, DurableAlertDelivery? delivery = null, ConsumerLagProbe? lag = null)
    {
        ArgumentNullException.ThrowIfNull(stats);
        _meter = new Meter(MeterName);
        _meter.CreateObservableCounter("siem.engine.messages_received", () => stats.MessagesReceived, "{message}", "Messages pulled from the events stream (a redelivery counts again)");
        _meter.CreateObservableCounter("siem.engine.messages_acked", () => stats.MessagesAcked, "{message}", "Messages acked after the index confirmed them (or after quarantine)");
        _meter.CreateObservableCounter("siem.engine.messages_naked", () => stats.MessagesNaked, "{message}", "Messages negatively acked for redelivery (index failure)");
        _meter.CreateObservableCounter("siem.engine.messages_redelivered", () => stats.Redeliveries, "{message}", "Messages delivered more than once, re-indexed idempotently");
        _meter.CreateObservableCounter("siem.engine.events_indexed", () => stats.EventsIndexed, "{event}", "Events written in confirmed index transactions");
        _meter.CreateObservableCounter("siem.engine.index_errors", () => stats.IndexErrors, "{error}", "Index writes that failed (the batch is redelivered)");
        _meter.CreateObservableCounter("siem.engine.quarantined", () => Quarantined(stats), "{message}", "Messages sent to the quarantine stream, by reason");
        _meter.CreateObservableCounter("siem.engine.alerts_raised", () => stats.AlertsRaised, "{alert}", "New alerts");
        _meter.CreateObservableCounter("siem.engine.alerts_updated", () => stats.AlertsUpdated, "{alert}", "Repeats folded into an open alert");
        _meter.CreateObservableCounter("siem.engine.alert_publish_errors", () => stats.AlertPublishErrors, "{error}", "Alerts that could not be published on siem.alerts.*");
        if (delivery is not null)
            _meter.CreateObservableCounter("siem.engine.alert_deliveries", () => Deliveries(delivery), "{delivery}", "Alert deliveries to on-call channels by outcome (delivered, dead_lettered, retried, update_paced)");
        if (lag is not null)
        {
            _meter.CreateObservableGauge("siem.engine.consumer_lag", () => Gauge(lag.Pending), "{message}", "Messages in the stream not yet delivered to the durable consumer");
            _meter.CreateObservableGauge("siem.engine.consumer_ack_pending", () => Gauge(lag.AckPending), "{message}", "Messages delivered but not yet acked");
        }
    }

    private static IEnumerable<Measurement<long>> Quarantined(EngineStats stats) =>
        stats.QuarantinedByReason.Select(kv => new Measurement<long>(kv.Value, new KeyValuePair<string, object?>("reason", kv.Key)));

    private static IEnumerable<Measurement<long>> Deliveries(DurableAlertDelivery delivery)
    {
        var d = delivery.Dispatcher;
        yield return Outcome(d.Delivered, "delivered");
        yield return Outcome(d.DeadLettered, "dead_lettered");
        yield return Outcome(d.Retries, "retried");
        yield return Outcome(delivery.UpdatesPaced, "update_paced");
    }

    private static Measurement<long> Outcome(long value, string outcome) => new(value, new KeyValuePair<string, object?>("outcome", outcome));

    /// <summary>No measurement until the probe has read the consumer once (an unknown lag is not zero).</summary>
    private static IEnumerable<Measurement<long>> Gauge(long? value) => value is { } v ? [new Measurement<long>(v)] : [];

    public void Dispose() => _meter.Dispose();
}
