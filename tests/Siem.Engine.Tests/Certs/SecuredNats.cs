using Siem.Host.Certs;
using Siem.Nats;
using Siem.Testing;

namespace Siem.Engine.Tests.Certs;

/// <summary>A PKI directory written by <see cref="PkiInitializer"/> (agents acme/web-01 and acme/web-02) and a real
/// nats-server running the generated tls + accounts includes, exactly as <c>siem certs init</c> writes them.</summary>
public sealed class SecuredNats : IAsyncLifetime
{
    internal static readonly AgentName Web01 = new("acme", "web-01");
    internal static readonly AgentName Web02 = new("acme", "web-02");

    internal PkiLayout Layout { get; } = new(Directory.CreateTempSubdirectory("siem-pki-").FullName);
    public NatsServer Server { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        new PkiInitializer(Layout).Run(["localhost", "127.0.0.1"], [Web01, Web02]);
        var config = await File.ReadAllTextAsync(Layout.NatsTlsConf) + await File.ReadAllTextAsync(Layout.NatsAccountsConf);
        Server = await NatsServer.StartAsync(config);
    }

    /// <summary>The engine's credentials: CA, client certificate, NKey.</summary>
    public NatsOpts EngineOpts() => NatsOpts.Default with
    {
        Servers = [Server.Url],
        Name = "siem-engine",
        TlsCaFile = Layout.CaCert,
        TlsCertFile = Layout.EngineCert,
        TlsKeyFile = Layout.EngineKey,
        NKeySeedFile = Layout.EngineNKey,
        RequestTimeout = TimeSpan.FromSeconds(5),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>An agent's credentials, with the reply-inbox prefix its permissions allow.</summary>
    internal NatsOpts AgentOpts(AgentName agent) => NatsOpts.Default with
    {
        Servers = [Server.Url],
        Name = "siem-agent",
        TlsCaFile = Layout.CaCert,
        TlsCertFile = Layout.AgentCert(agent),
        TlsKeyFile = Layout.AgentKey(agent),
        NKeySeedFile = Layout.AgentNKey(agent),
        InboxPrefix = agent.InboxPrefix,
        RequestTimeout = TimeSpan.FromSeconds(2),
        ConnectTimeout = TimeSpan.FromSeconds(15),
    };

    /// <summary>Connects as a real client does: a TLS handshake that times out on an overloaded machine (the server
    /// closes it: "broken pipe") is retried until <paramref name="cancellationToken"/>; refused credentials are not.</summary>
    public static async Task ConnectAsync(NatsConnection connection, CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                await connection.ConnectAsync(cancellationToken);
                return;
            }
            catch (NatsConnectionException) when (!cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(200, cancellationToken);
            }
        }
    }

    public async Task DisposeAsync()
    {
        await Server.DisposeAsync();
        try { Directory.Delete(Layout.Dir, recursive: true); } catch (IOException) { }
    }
}
