using System.Globalization;

namespace Siem.Telemetry;

/// <summary>
/// Where and how often metrics are exported over OTLP. Export is off until an endpoint is set, normally through the
/// standard OpenTelemetry environment variables (<see cref="FromEnvironment"/>).
/// </summary>
public sealed record TelemetryOptions
{
    /// <summary>Export off.</summary>
    public static TelemetryOptions Disabled { get; } = new();

    /// <summary>Full URL metrics are sent to (for http/protobuf it ends in <c>/v1/metrics</c>). Null = no export.</summary>
    public Uri? MetricsEndpoint { get; init; }

    /// <summary><c>http/protobuf</c> (default) or <c>grpc</c>.</summary>
    public OtlpTransport Transport { get; init; } = OtlpTransport.HttpProtobuf;

    /// <summary>Period of the exporting reader. Default 60 s (<c>OTEL_METRIC_EXPORT_INTERVAL</c>, milliseconds).</summary>
    public TimeSpan ExportInterval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Extra request headers, <c>k1=v1,k2=v2</c> (for example an API key). Secret: never logged.</summary>
    public string? Headers { get; init; }

    /// <summary>Reads <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> (base URL; <c>/v1/metrics</c> is appended for http/protobuf),
    /// <c>OTEL_EXPORTER_OTLP_METRICS_ENDPOINT</c> (used as is, wins), <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>,
    /// <c>OTEL_EXPORTER_OTLP_HEADERS</c> and <c>OTEL_METRIC_EXPORT_INTERVAL</c>. A malformed value throws
    /// <see cref="ArgumentException"/> naming the variable.</summary>
    public static TelemetryOptions FromEnvironment(Func<string, string?>? getVariable = null)
    {
        getVariable ??= Environment.GetEnvironmentVariable;
        string? Get(string name) => getVariable(name) is { Length: > 0 } v ? v.Trim() : null;

        var transport = Get("OTEL_EXPORTER_OTLP_PROTOCOL") switch
        {
            null or "http/protobuf" => OtlpTransport.HttpProtobuf,
            "grpc" => OtlpTransport.Grpc,
            var other => throw new ArgumentException($"OTEL_EXPORTER_OTLP_PROTOCOL='{other}': expected http/protobuf or grpc (http/json is not supported)"),
        };
        Uri? endpoint = null;
        if (Get("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT") is { } metrics)
        {
            endpoint = ParseUrl(metrics, "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT");
        }
        else if (Get("OTEL_EXPORTER_OTLP_ENDPOINT") is { } baseUrl)
        {
            var b = ParseUrl(baseUrl, "OTEL_EXPORTER_OTLP_ENDPOINT");
            endpoint = transport == OtlpTransport.HttpProtobuf ? new Uri(b.ToString().TrimEnd('/') + "/v1/metrics") : b;
        }
        var interval = TimeSpan.FromSeconds(60);
        if (Get("OTEL_METRIC_EXPORT_INTERVAL") is { } ms)
        {
            if (!int.TryParse(ms, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 100)
                throw new ArgumentException($"OTEL_METRIC_EXPORT_INTERVAL='{ms}': expected milliseconds, at least 100");
            interval = TimeSpan.FromMilliseconds(n);
        }
        return new TelemetryOptions { MetricsEndpoint = endpoint, Transport = transport, ExportInterval = interval, Headers = Get("OTEL_EXPORTER_OTLP_HEADERS") };
    }

    private static Uri ParseUrl(string value, string variable) =>
        Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri
            : throw new ArgumentException($"{variable}='{value}': expected an http:// or https:// URL (for example http://otel-collector:4318)");

    /// <summary>Headers are secrets: not printed.</summary>
    public override string ToString() => $"TelemetryOptions(endpoint={MetricsEndpoint?.ToString() ?? "off"}, transport={Transport}, interval={ExportInterval.TotalSeconds:0.#}s)";
}
