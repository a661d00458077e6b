using Siem.Collectors.Config;
using Siem.Nats;

namespace Siem.Agent;

internal static class NatsOptsFromConfig
{
    public static NatsOpts Create(AgentConfig c) => NatsOpts.Default with
    {
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
}
