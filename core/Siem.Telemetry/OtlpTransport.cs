namespace Siem.Telemetry;

/// <summary>OTLP transports the exporter speaks.</summary>
public enum OtlpTransport
{
    /// <summary>Protobuf over HTTP POST (port 4318, path <c>/v1/metrics</c>).</summary>
    HttpProtobuf,

    /// <summary>gRPC (port 4317).</summary>
    Grpc,
}
