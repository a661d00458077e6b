using System.Text.Json.Serialization;

namespace Siem.Nats;

/// <summary>The server's INFO message (the fields the client uses).</summary>
/// <remarks>Properties with a default have setters: source-generated JSON sets a missing init-only property to null, not to its initializer.</remarks>
public sealed class NatsServerInfo
{
    [JsonPropertyName("server_id")] public string ServerId { get; set; } = "";
    [JsonPropertyName("server_name")] public string ServerName { get; set; } = "";
    [JsonPropertyName("version")] public string Version { get; set; } = "";
    [JsonPropertyName("host")] public string Host { get; set; } = "";
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
    [JsonPropertyName("connect_urls")] public IReadOnlyList<string> ConnectUrls { get; set; } = [];
    [JsonPropertyName("ldm")] public bool LameDuckMode { get; init; }
}
