namespace Siem.Nats;

/// <summary>Immutable connection options. Every property has a documented default (see <see cref="Default"/>).</summary>
public sealed record NatsOpts
{
    /// <summary>The defaults: one local server, 5 s connect/request timeouts, 30 s keepalive, reconnect forever.</summary>
    public static NatsOpts Default { get; } = new();

    /// <summary>Server URLs (<c>nats://host:port</c> or <c>tls://host:port</c>). Several = a cluster; they are tried in
    /// random order, and the cluster's <c>connect_urls</c> from INFO are added. Default <c>nats://127.0.0.1:4222</c>.</summary>
    public IReadOnlyList<string> Servers { get; init; } = ["nats://127.0.0.1:4222"];

    /// <summary>Client name sent in CONNECT (shows up in the server's monitoring). Default <c>siem</c>.</summary>
    public string Name { get; init; } = "siem";

    /// <summary>User/password authentication. Default none.</summary>
    public string? Username { get; init; }

    /// <summary>Password for <see cref="Username"/>. Never logged.</summary>
    public string? Password { get; init; }

    /// <summary>Token authentication. Never logged.</summary>
    public string? Token { get; init; }

    /// <summary>NKey user seed (<c>SU...</c>); the server's nonce is signed with it (Ed25519).</summary>
    public string? NKeySeed { get; init; }

    /// <summary>File holding the NKey user seed (used when <see cref="NKeySeed"/> is not set).</summary>
    public string? NKeySeedFile { get; init; }

    /// <summary>Prefix of this connection's reply inboxes (<c>&lt;prefix&gt;.&lt;nuid&gt;</c>). Default <c>_INBOX</c>. Give each
    /// NATS user its own prefix (for example <c>_INBOX.agent.web-01</c>) so its permissions can allow subscribing to
    /// its own replies only — with the shared default every user that may read <c>_INBOX.&gt;</c> could read other
    /// users' replies, including messages a pull consumer delivers.</summary>
    public string InboxPrefix { get; init; } = "_INBOX";

    /// <summary>PEM file with the CA that signed the server certificate. Setting it turns TLS on.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>PEM client certificate for mutual TLS (with <see cref="TlsKeyFile"/>).</summary>
    public string? TlsCertFile { get; init; }

    /// <summary>PEM private key of <see cref="TlsCertFile"/>.</summary>
    public string? TlsKeyFile { get; init; }

    /// <summary>Time allowed for TCP connect + TLS + CONNECT/PONG handshake per server. Default 5 s.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keepalive PING period. Default 30 s.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Default timeout of <see cref="NatsConnection.RequestAsync"/>. Default 5 s.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Keepalive PINGs without PONG after which the connection is considered stale and is reconnected. Default 2.</summary>
    public int MaxPingsOut { get; init; } = 2;

    /// <summary>First reconnect backoff; it doubles per failed round over the server list up to <see cref="ReconnectWaitMax"/>,
    /// with random jitter (50–100 % of the value). Default 100 ms.</summary>
    public TimeSpan ReconnectWaitMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Upper bound of the reconnect backoff. Default 2 s.</summary>
    public TimeSpan ReconnectWaitMax { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Rounds over the server list before giving up and closing; -1 = forever (default).</summary>
    public int MaxReconnectAttempts { get; init; } = -1;

    /// <summary>Outbound buffer: commands not yet written to the socket, including publishes made while disconnected.
    /// When it holds this many bytes, <see cref="NatsConnection.PublishAsync"/> waits until there is room again
    /// (backpressure); nothing is dropped. Default 8 MiB.</summary>
    public long ReconnectBufferBytes { get; init; } = 8 * 1024 * 1024;

    /// <summary>Messages buffered per subscription (a bounded channel). When a subscription's channel is full the
    /// connection's read loop waits until the subscriber reads (backpressure through TCP to the server), so no message
    /// is dropped by the client — but one slow subscriber delays every other subscription on the connection, and a
    /// server that cannot write for long enough closes the connection as a slow consumer. A subscriber that awaits a
    /// RequestAsync on the same connection while its own channel is full waits for a reply the parked read loop cannot
    /// deliver (until the request times out): give such handlers their own connection or enough capacity. Default 1024.</summary>
    public int SubscriptionCapacity { get; init; } = 1024;
}
