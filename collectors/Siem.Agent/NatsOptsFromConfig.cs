using Siem.Collectors.Config;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Agent;

internal static class NatsOptsFromConfig
{
    private static readonly TimeSpan OneShotConnectTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Connection options from the config's <c>servers</c> block. With the enrolled (or enrolling) tenant and
    /// agent id, replies use the agent's own inbox prefix, the only one a secured broker lets it read.</summary>
    public static NatsOpts Create(AgentConfig c, string? tenant = null, string? agentId = null) => NatsOpts.Default with
    {
        InboxPrefix = tenant is not null && agentId is not null ? EnrollmentMessages.AgentInboxPrefix(tenant, agentId) : NatsOpts.Default.InboxPrefix,
        Name = "siem-agent",
        Servers = c.Servers,
        Username = c.User,
        Password = c.Password,
        Token = c.Token,
        NKeySeedFile = c.NKeySeedFile,
        TlsCaFile = c.TlsCaFile,
        TlsCertFile = c.TlsCertFile,
        TlsKeyFile = c.TlsKeyFile,
    };

    /// <summary>A one-shot command's connection (enroll, rotate-key): the config's servers block unless <paramref name="server"/>
    /// names the broker; one of them is required.</summary>
    public static NatsOpts ForCommand(AgentConfig? config, string? server, string tenant, string agentId, string name)
    {
        var opts = config != null
            ? Create(config, tenant, agentId)
            : NatsOpts.Default with { InboxPrefix = EnrollmentMessages.AgentInboxPrefix(tenant, agentId) };
        if (server is not null) opts = opts with { Servers = [server] };
        else if (config is null) throw new ArgumentException("give --server URL or --config FILE (whose servers block names the broker)");
        // A one-shot command starts cold: its first TLS handshake includes compiling the TLS stack (the JIT build), which
        // took more than the default 5 s on a heavily loaded host. The broker still bounds the handshake (its tls timeout).
        return opts with { Name = name, ConnectTimeout = OneShotConnectTimeout };
    }
}
