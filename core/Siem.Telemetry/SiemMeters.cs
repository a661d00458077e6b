namespace Siem.Telemetry;

/// <summary>Names of the platform's meters, one per component (instrument names start with <c>siem.&lt;component&gt;.</c>).</summary>
public static class SiemMeters
{
    /// <summary>siem-agent: lines read, records shipped, batches spooled, records dropped, errors, per-source counts.</summary>
    public const string Agent = "Siem.Agent";

    /// <summary>Engine: messages received/acked/naked, events indexed, quarantined, alerts, deliveries, consumer lag.</summary>
    public const string Engine = "Siem.Engine";

    /// <summary>Lineage and purges: purge durations.</summary>
    public const string Lineage = "Siem.Lineage";

    /// <summary>HTTP API.</summary>
    public const string Api = "Siem.Api";

    /// <summary>Every meter of the server host (<c>siem serve</c>).</summary>
    public static IReadOnlyList<string> Server { get; } = [Engine, Lineage, Api];
}
