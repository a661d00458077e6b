namespace Siem.Host.Demo;

/// <summary>What <c>siem demo</c> runs: see <see cref="Commands.DemoCommand"/>.</summary>
internal sealed record DemoOptions
{
    public bool Once { get; init; }
    /// <summary>An existing NATS server; null = start a private nats-server with its store under the data dir.</summary>
    public string? NatsUrl { get; init; }
    public IReadOnlyList<string> Inputs { get; init; } = [];
    public string DataDir { get; init; } = Path.Combine(".siem", "data");
    /// <summary>Extra Sigma rule files or directories, loaded next to our pack.</summary>
    public IReadOnlyList<string> RuleDirs { get; init; } = [];
    public bool Json { get; init; }
    /// <summary>Index into this Elasticsearch/OpenSearch node instead of SQLite (credentials from SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY).</summary>
    public string? ElasticsearchUrl { get; init; }
    /// <summary>Serve the web console and API here (ADDRESS:PORT, or "off"); null = 127.0.0.1:8080 unless <see cref="Once"/>.</summary>
    public string? Http { get; init; }
    /// <summary>Serve the console over HTTPS with this PEM certificate and key (e.g. api.pem/api-key.pem from `siem certs init`).</summary>
    public Siem.Api.Https.ApiHttpsOptions? Https { get; init; }
    /// <summary>--once gives up (exit 1) when the inputs are not indexed within this time.</summary>
    public TimeSpan OnceTimeout { get; init; } = TimeSpan.FromMinutes(10);
}
