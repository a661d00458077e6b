using OpenTelemetry;
using OpenTelemetry.Exporter;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;

namespace Siem.Telemetry;

/// <summary>Starts OTLP export of the platform's meters for one process.</summary>
public static class SiemTelemetry
{
    /// <summary>
    /// Exports <paramref name="meters"/> over OTLP as service <paramref name="serviceName"/> (resource attributes
    /// <c>service.name</c>, <c>service.instance.id</c>). Returns null when <see cref="TelemetryOptions.MetricsEndpoint"/>
    /// is not set. Dispose the provider at shutdown: it exports a last time. Export failures are the SDK's to retry and
    /// never reach the caller — metrics must not stop the pipeline.
    /// </summary>
    public static MeterProvider? StartMetrics(string serviceName, IEnumerable<string> meters, TelemetryOptions options, string? instanceId = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        ArgumentNullException.ThrowIfNull(meters);
        ArgumentNullException.ThrowIfNull(options);
        if (options.MetricsEndpoint is null) return null;
        return Sdk.CreateMeterProviderBuilder()
            .ConfigureResource(r => r.AddService(serviceName, serviceInstanceId: instanceId ?? Environment.MachineName))
            .AddMeter([.. meters])
            .AddOtlpExporter((exporter, reader) =>
            {
                exporter.Endpoint = options.MetricsEndpoint;
                exporter.Protocol = options.Transport == OtlpTransport.Grpc ? OtlpExportProtocol.Grpc : OtlpExportProtocol.HttpProtobuf;
                if (options.Headers is not null) exporter.Headers = options.Headers;
                reader.PeriodicExportingMetricReaderOptions.ExportIntervalMilliseconds = (int)options.ExportInterval.TotalMilliseconds;
                reader.TemporalityPreference = MetricReaderTemporalityPreference.Cumulative;
            })
            .Build();
    }
}
