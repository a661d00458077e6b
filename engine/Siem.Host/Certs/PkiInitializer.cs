using System.Security.Cryptography.X509Certificates;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Host.Certs;

/// <summary>
/// <c>siem certs init</c>: creates (or completes) a directory with a private CA, TLS certificates for nats-server,
/// the HTTPS API, the engine and each agent, NKeys for the engine and each agent, and the nats-server
/// <c>tls</c>/<c>accounts</c> include files. Idempotent: existing keys and certificates are kept, only missing ones are
/// issued, and the include files are regenerated from what is on disk — so re-running with more agents adds them.
/// </summary>
internal sealed class PkiInitializer(PkiLayout layout, TimeProvider? time = null)
{
    public static readonly TimeSpan CaValidity = TimeSpan.FromDays(3650);
    public static readonly TimeSpan LeafValidity = TimeSpan.FromDays(825);

    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private readonly List<PkiFile> _files = [];

    public PkiLayout Layout { get; } = layout;

    /// <param name="hosts">DNS names / IP addresses of the servers (SANs of the nats-server and API certificates).</param>
    /// <param name="agents">Agents to provision (already provisioned ones are kept).</param>
    /// <param name="serverPkiDir">Where nats-server sees this directory, if not at <see cref="PkiLayout.Dir"/> (a container
    /// mount such as <c>/etc/siem/nats/pki</c>): the tls includes name the files there.</param>
    public IReadOnlyList<PkiFile> Run(IReadOnlyCollection<string> hosts, IReadOnlyCollection<AgentName> agents, string? serverPkiDir = null)
    {
        _files.Clear();
        Directory.CreateDirectory(Layout.Dir);
        var now = _time.GetUtcNow();
        using var ca = LoadOrCreateCa(now);
        IssueIfMissing(ca, "nats-server", CertificateUsage.Server | CertificateUsage.Client, hosts, Layout.NatsServerCert, Layout.NatsServerKey, "nats-server TLS certificate (server + cluster routes)", now);
        IssueIfMissing(ca, "siem-api", CertificateUsage.Server, hosts, Layout.ApiCert, Layout.ApiKey, "HTTPS API certificate", now);
        IssueIfMissing(ca, "siem-engine", CertificateUsage.Client, [], Layout.EngineCert, Layout.EngineKey, "engine client certificate (mTLS to NATS)", now);
        var engineKey = NKeyIfMissing(Layout.EngineNKey, "engine NKey seed");
        foreach (var agent in agents)
        {
            Directory.CreateDirectory(Layout.AgentsDir);
            IssueIfMissing(ca, $"siem-agent {agent}", CertificateUsage.Client, [], Layout.AgentCert(agent), Layout.AgentKey(agent), $"agent {agent} client certificate", now);
            NKeyIfMissing(Layout.AgentNKey(agent), $"agent {agent} NKey seed (publishes on {agent.EventsSubject})");
        }
        var provisioned = Layout.ProvisionedAgents()
            .Select(a => (a, NKeyPair.FromSeed(File.ReadAllText(Layout.AgentNKey(a))).PublicKey))
            .ToList();
        var seen = serverPkiDir is null ? Layout : new PkiLayout(serverPkiDir);
        var tls = NatsAuthConfig.RenderTls(seen.CaCert, seen.NatsServerCert, seen.NatsServerKey);
        Write(Layout.NatsTlsConf, tls, "nats-server include: tls block (mTLS required)");
        Write(Layout.NatsRoutesTlsConf, tls, "nats-server include for the cluster block: route TLS (mTLS between nodes)");
        Write(Layout.NatsAccountsConf, NatsAuthConfig.Render(engineKey.PublicKey, provisioned), $"nats-server include: account SIEM, engine + {provisioned.Count} agent user(s)");
        return [.. _files];
    }

    private CertificateAuthority LoadOrCreateCa(DateTimeOffset now)
    {
        if (File.Exists(Layout.CaCert) || File.Exists(Layout.CaKey))
        {
            if (!File.Exists(Layout.CaKey)) throw new InvalidDataException($"{Layout.CaCert} exists but its key {Layout.CaKey} does not: restore it or use a new --dir");
            var existing = CertificateAuthority.Load(Layout.CaCert, Layout.CaKey);
            _files.Add(new PkiFile(Layout.CaCert, "CA certificate", Written: false));
            return existing;
        }
        var ca = CertificateAuthority.Create("Siem private CA", now, CaValidity);
        File.WriteAllText(Layout.CaCert, ca.Certificate.ExportCertificatePem() + "\n");
        using (var key = ca.Certificate.GetECDsaPrivateKey()!)
            SecureFile.WriteAllText(Layout.CaKey, key.ExportPkcs8PrivateKeyPem() + "\n");
        _files.Add(new PkiFile(Layout.CaCert, $"CA certificate (valid until {ca.Certificate.NotAfter:yyyy-MM-dd}); give it to every client", Written: true));
        _files.Add(new PkiFile(Layout.CaKey, "CA private key (0600): keep it offline once every certificate is issued", Written: true, Secret: true));
        return ca;
    }

    private void IssueIfMissing(CertificateAuthority ca, string commonName, CertificateUsage usage, IReadOnlyCollection<string> hosts, string certFile, string keyFile, string what, DateTimeOffset now)
    {
        if (File.Exists(certFile) && File.Exists(keyFile))
        {
            _files.Add(new PkiFile(certFile, what, Written: false));
            return;
        }
        using var issued = ca.Issue(commonName, usage, hosts, now, LeafValidity);
        issued.Write(certFile, keyFile);
        var sans = hosts.Count > 0 ? $" for {string.Join(", ", hosts)}" : "";
        _files.Add(new PkiFile(certFile, $"{what}{sans}, valid until {issued.Certificate.NotAfter:yyyy-MM-dd}", Written: true));
        _files.Add(new PkiFile(keyFile, $"private key of {Path.GetFileName(certFile)} (0600)", Written: true, Secret: true));
    }

    private NKeyPair NKeyIfMissing(string file, string what)
    {
        if (File.Exists(file))
        {
            var existing = NKeyPair.FromSeed(File.ReadAllText(file));
            _files.Add(new PkiFile(file, $"{what}, public key {existing.PublicKey}", Written: false, Secret: true));
            return existing;
        }
        var pair = NKeyPair.CreateUser();
        SecureFile.WriteAllText(file, pair.Seed + "\n");
        _files.Add(new PkiFile(file, $"{what} (0600), public key {pair.PublicKey}", Written: true, Secret: true));
        return pair;
    }

    private void Write(string file, string content, string what)
    {
        File.WriteAllText(file, content);
        _files.Add(new PkiFile(file, what, Written: true));
    }
}
