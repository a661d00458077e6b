namespace Siem.Nats.Internal;

/// <summary>One server of the pool: host, port and whether the URL asked for TLS.</summary>
internal sealed record ServerAddress(string Host, int Port, bool Tls)
{
    public const int DefaultPort = 4222;

    public static ServerAddress Parse(string url)
    {
        var s = url.Trim();
        if (!s.Contains("://", StringComparison.Ordinal)) s = "nats://" + s;
        if (!Uri.TryCreate(s, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            throw new ArgumentException($"server URL '{url}' is not valid; expected nats://host:port or tls://host:port", nameof(url));
        if (!string.IsNullOrEmpty(uri.UserInfo))
            throw new ArgumentException($"server URL for {uri.Host}:{uri.Port} contains credentials; set NatsOpts.Username/Password or Token instead (URLs end up in logs)", nameof(url));
        bool tls = uri.Scheme switch
        {
            "nats" => false,
            "tls" => true,
            _ => throw new ArgumentException($"server URL '{url}' has scheme '{uri.Scheme}'; use nats:// or tls://", nameof(url)),
        };
        return new ServerAddress(uri.Host.Trim('[', ']'), uri.IsDefaultPort || uri.Port <= 0 ? DefaultPort : uri.Port, tls);
    }

    public override string ToString() => $"{(Tls ? "tls" : "nats")}://{Host}:{Port}";
}
