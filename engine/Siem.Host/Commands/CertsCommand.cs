using System.CommandLine;
using System.Security.Cryptography;
using Siem.Host.Certs;

namespace Siem.Host.Commands;

/// <summary><c>siem certs init [--dir DIR] [--hosts NAMES] [--agents tenant/id,...]</c>: private CA, TLS certificates,
/// NKeys and the nats-server tls/accounts include files.</summary>
internal static class CertsCommand
{
    public static Command Create()
    {
        var dir = new Option<string>("--dir") { Description = "Directory for keys, certificates and nats-server includes", DefaultValueFactory = _ => Path.Combine(".siem", "pki") };
        var hosts = new Option<string>("--hosts")
        {
            Description = "Comma-separated DNS names / IPs of the servers (nats-server and API certificate SANs); localhost and 127.0.0.1 are always included",
            DefaultValueFactory = _ => "",
        };
        var agents = new Option<string>("--agents") { Description = "Comma-separated agents to provision: tenant/id (or id in --tenant)", DefaultValueFactory = _ => "" };
        var tenant = new Option<string>("--tenant") { Description = "Tenant of agents given without one", DefaultValueFactory = _ => "default" };
        var serverDir = new Option<string?>("--server-dir")
        {
            Description = "Absolute path where nats-server will see this directory, when it differs from --dir (a container mount, e.g. /etc/siem/nats/pki); the tls includes name files there",
        };
        var init = new Command("init", "Create (or complete) a private CA, TLS certificates for nats-server, the API, the engine and agents, NKeys, and nats-server include files. Existing files are kept.");
        foreach (var o in new Option[] { dir, hosts, agents, tenant, serverDir }) init.Options.Add(o);
        init.SetAction((ParseResult pr) =>
        {
            try
            {
                var hostList = new List<string> { "localhost", "127.0.0.1" };
                foreach (var h in Split(pr.GetValue(hosts)!))
                {
                    if (h.Any(c => char.IsWhiteSpace(c) || c is '/' or ',')) throw new ArgumentException($"--hosts: '{h}' is not a host name or IP address");
                    if (!hostList.Contains(h, StringComparer.OrdinalIgnoreCase)) hostList.Add(h);
                }
                var agentList = Split(pr.GetValue(agents)!).Select(a => AgentName.Parse(a, pr.GetValue(tenant)!)).Distinct().ToList();
                var layout = new PkiLayout(Path.GetFullPath(pr.GetValue(dir)!));
                if (pr.GetValue(serverDir) is { } sd && !Path.IsPathRooted(sd)) throw new ArgumentException($"--server-dir '{sd}' must be an absolute path");
                var files = new PkiInitializer(layout).Run(hostList, agentList, pr.GetValue(serverDir));
                Print(layout, files);
                return 0;
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException or InvalidDataException or CryptographicException or FormatException)
            {
                Console.Error.WriteLine($"siem certs init: {e.Message}");
                return 1;
            }
        });
        var cmd = new Command("certs", "Transport security: private CA, TLS certificates and NATS NKeys.");
        cmd.Subcommands.Add(init);
        return cmd;
    }

    private static IEnumerable<string> Split(string list) =>
        list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static void Print(PkiLayout layout, IReadOnlyList<PkiFile> files)
    {
        Console.WriteLine($"siem certs init: {layout.Dir}");
        foreach (var f in files)
            Console.WriteLine($"  {(f.Written ? "wrote" : "kept "),-5}  {Path.GetRelativePath(layout.Dir, f.Path),-34} {f.Description}");
        Console.WriteLine();
        Console.WriteLine("Next:");
        Console.WriteLine($"  nats-server: copy deploy/nats/single-node.conf next to this directory (it includes pki/nats-tls.conf and pki/nats-accounts.conf), or include {Path.GetFileName(layout.NatsTlsConf)} and {Path.GetFileName(layout.NatsAccountsConf)} from your own config");
        Console.WriteLine($"  engine:      tls ca {Path.GetFileName(layout.CaCert)}, cert engine.pem + engine-key.pem, nkey_seed_file engine.nk");
        Console.WriteLine($"  agents:      copy ca.pem and agents/<tenant>.<id>{{.pem,-key.pem,.nk}} to each host (keep mode 0600); see deploy/agent/siem-agent.yml");
        Console.WriteLine($"  API:         https with api.pem + api-key.pem");
        Console.WriteLine("Secret files (keys, .nk seeds) are mode 0600; never commit or log them.");
    }
}
