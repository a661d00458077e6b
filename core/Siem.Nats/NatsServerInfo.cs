using System.Text.Json.Serialization;

namespace Siem.Nats;

/// <summary>The server's INFO message (the fields the client uses).</summary>
public sealed class NatsServerInfo
{
    [JsonPropertyName("server_id")] public string ServerId { get; init; } = "";
    [JsonPropertyName("server_name")] public string ServerName { get; init; } = "";
    [JsonPropertyName("version")] public string Version { get; init; } = "";
    [JsonPropertyName("host")] public string Host { get; init; } = "";
    [JsonPropertyName("port")] public int Port { get; init; }
    [JsonPropertyName("max_payload")] public long MaxPayload { get; init; }
    [JsonPropertyName("proto")] public int Protocol { get; init; }
    [JsonPropertyName("headers")] public bool Headers { get; init; }
    [JsonPropertyName("jetstream")] public bool JetStream { get; init; }
    [JsonPropertyName("auth_required")] public bool AuthRequired { get; init; }
    [JsonPropertyName("tls_required")] public bool TlsRequired { get; init; }
    [JsonPropertyName("nonce")] public string? Nonce { get; init; }
    [JsonPropertyName("client_id")] public ulong ClientId { get; init; }
    [JsonPropertyName("client_ip")] public string? ClientIp { get; init; }
    [JsonPropertyName("cluster")] public string? Cluster { get; init; }
    [JsonPropertyName("connect_urls")] public IReadOnlyList<string> ConnectUrls { get; init; } = [];
    [JsonPropertyName("ldm")] public bool LameDuckMode { get; init; }
}
