namespace Siem.Host.Certs;

/// <summary>File names under the directory <c>siem certs init</c> writes (absolute paths).</summary>
internal sealed record PkiLayout(string Dir)
{
    public string CaCert => Path.Combine(Dir, "ca.pem");
    public string CaKey => Path.Combine(Dir, "ca-key.pem");
    public string NatsServerCert => Path.Combine(Dir, "nats-server.pem");
    public string NatsServerKey => Path.Combine(Dir, "nats-server-key.pem");
    public string ApiCert => Path.Combine(Dir, "api.pem");
    public string ApiKey => Path.Combine(Dir, "api-key.pem");
    public string EngineCert => Path.Combine(Dir, "engine.pem");
    public string EngineKey => Path.Combine(Dir, "engine-key.pem");
    public string EngineNKey => Path.Combine(Dir, "engine.nk");
    public string AgentsDir => Path.Combine(Dir, "agents");
    public string NatsTlsConf => Path.Combine(Dir, "nats-tls.conf");
    public string NatsRoutesTlsConf => Path.Combine(Dir, "nats-routes-tls.conf");
    public string NatsAccountsConf => Path.Combine(Dir, "nats-accounts.conf");

    public string AgentCert(AgentName a) => Path.Combine(AgentsDir, a.FileStem + ".pem");
    public string AgentKey(AgentName a) => Path.Combine(AgentsDir, a.FileStem + "-key.pem");
    public string AgentNKey(AgentName a) => Path.Combine(AgentsDir, a.FileStem + ".nk");

    /// <summary>Agents provisioned so far: one <c>agents/&lt;tenant&gt;.&lt;id&gt;.nk</c> each.</summary>
    public IEnumerable<AgentName> ProvisionedAgents()
    {
        if (!Directory.Exists(AgentsDir)) yield break;
        foreach (var file in Directory.EnumerateFiles(AgentsDir, "*.nk").Order(StringComparer.Ordinal))
        {
            var stem = Path.GetFileNameWithoutExtension(file);
            int dot = stem.IndexOf('.', StringComparison.Ordinal);
            if (dot <= 0) throw new InvalidDataException($"{file}: agent NKey files are named <tenant>.<id>.nk");
            yield return AgentName.Parse($"{stem[..dot]}/{stem[(dot + 1)..]}", "default");
        }
    }
}
