namespace Siem.Api.Metrics;

/// <summary>
/// What one <c>siem serve</c> process measured, as it broadcasts it on <c>siem.metrics.&lt;pid&gt;</c>: who it is
/// (instance, host, pid, roles), when it read its meters, and every reading.
/// </summary>
public sealed record ProcessMetrics(string Instance, string Host, int Pid, IReadOnlyList<string> Roles, DateTimeOffset At, IReadOnlyList<MetricReading> Metrics)
{
    /// <summary>The board's key: a restarted process (new pid) is a new entry; the old one goes stale and ages out.</summary>
    internal string Key => $"{Host}/{Pid}/{Instance}";
}
