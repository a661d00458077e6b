namespace Siem.Api.Metrics;

/// <summary>
/// One instrument of a process as the status page shows it: a counter's running total, a gauge's last value, or a
/// histogram's count, sum and maximum since the process started (<see cref="Value"/> is then the mean).
/// </summary>
/// <param name="Name">The OpenTelemetry instrument name, e.g. <c>siem.engine.events_indexed</c>.</param>
/// <param name="Kind"><c>counter</c>, <c>gauge</c> or <c>histogram</c>.</param>
/// <param name="Tags">The measurement's attributes as <c>key=value</c> pairs joined by commas, sorted; null without any.</param>
/// <param name="Unit">The instrument's unit (<c>{event}</c>, <c>s</c>), null when it has none.</param>
public sealed record MetricReading(string Name, string Kind, string? Tags, double Value, string? Unit = null, long? Count = null, double? Sum = null, double? Max = null);
