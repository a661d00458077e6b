using System.Diagnostics;
using Siem.Host.Certs;
using Siem.Host.Commands;
using Siem.Host.Demo;
using Siem.Host.Deploy;
using Siem.Host.Server.Config;
using Siem.Nats;
using Siem.Testing;
using YamlDotNet.RepresentationModel;

namespace Siem.Engine.Tests.Deploy;

/// <summary>The files in deploy/ are checked against the real thing where this machine has it (nats-server, the
/// config loader, the CLI parser) and parsed where it does not (no Docker engine, no systemd here).</summary>
public sealed class DeployFilesTests : IDisposable
{
    private static readonly string Root = DemoPaths.RepoRoot() ?? throw new InvalidOperationException("repository root not found");
    private readonly string _tmp = Directory.CreateTempSubdirectory("siem-deploy-").FullName;

    private static string Repo(params string[] parts) => Path.Combine([Root, .. parts]);

    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    [Fact]
    public void The_configuration_reference_in_deploy_CONFIG_md_is_the_generated_one()
    {
        var expected = ConfigReference.Generate(Root);
        var actual = File.Exists(Repo("deploy", "CONFIG.md")) ? File.ReadAllText(Repo("deploy", "CONFIG.md")) : "";
        Assert.True(expected == actual, $"deploy/CONFIG.md is stale (a sample config or an options type changed): regenerate it with `{ConfigReference.RegenerateHint}`; first difference: {FirstDifference(expected, actual)}");
        Assert.Contains("| `sources[].type` | `file | syslog_udp | syslog_tcp | journald | stdin` |", expected.Replace("\\|", "|", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains("| `InboxPrefix` | `String` | `_INBOX` |", expected, StringComparison.Ordinal);
    }

    private static string FirstDifference(string expected, string actual)
    {
        var e = expected.Split('\n');
        var a = actual.Split('\n');
        for (int i = 0; i < Math.Max(e.Length, a.Length); i++)
        {
            var want = i < e.Length ? e[i] : "(end)";
            var have = i < a.Length ? a[i] : "(end)";
            if (want != have) return $"line {i + 1}: generated '{want}', file has '{have}'";
        }
        return "none";
    }

    [Fact]
    public async Task The_single_node_config_runs_on_a_real_nats_server_with_the_generated_includes()
    {
        var dir = Path.Combine(_tmp, "nats");
        new PkiInitializer(new PkiLayout(Path.Combine(dir, "pki"))).Run(["localhost", "127.0.0.1"], [new AgentName("acme", "web-01")]);
        int port = NatsServer.FreePort();
        var conf = File.ReadAllText(Repo("deploy", "nats", "single-node.conf"))
            .Replace("listen: 0.0.0.0:4222", $"listen: 127.0.0.1:{port}", StringComparison.Ordinal)
            .Replace("/var/lib/siem/nats", Path.Combine(dir, "js"), StringComparison.Ordinal)
            .Replace("http: 127.0.0.1:8222", $"http: 127.0.0.1:{NatsServer.FreePort()}", StringComparison.Ordinal);
        File.WriteAllText(Path.Combine(dir, "single-node.conf"), conf);

        using var server = Process.Start(new ProcessStartInfo(NatsServer.FindBinary(), ["-c", Path.Combine(dir, "single-node.conf")]) { RedirectStandardError = true, RedirectStandardOutput = true })!;
        try
        {
            var layout = new PkiLayout(Path.Combine(dir, "pki"));
            await using var engine = new NatsConnection(NatsOpts.Default with
            {
                Servers = [$"tls://127.0.0.1:{port}"],
                TlsCaFile = layout.CaCert, TlsCertFile = layout.EngineCert, TlsKeyFile = layout.EngineKey, NKeySeedFile = layout.EngineNKey,
                ConnectTimeout = TimeSpan.FromSeconds(15), MaxReconnectAttempts = 50, ReconnectWaitMin = TimeSpan.FromMilliseconds(100),
            });
            await ConnectWhenListeningAsync(engine, Timeout());
            Assert.True(engine.ServerInfo!.TlsRequired);
            Assert.True(engine.ServerInfo.JetStream);
            Assert.Equal("siem-1", engine.ServerInfo.ServerName);
        }
        finally
        {
            server.Kill();
            await server.WaitForExitAsync(CancellationToken.None);
        }
    }

    private static async Task ConnectWhenListeningAsync(NatsConnection connection, CancellationToken ct)
    {
        while (true)
        {
            try
            {
                await connection.ConnectAsync(ct);
                return;
            }
            catch (NatsConnectionException) when (!ct.IsCancellationRequested)
            {
                await Task.Delay(100, ct);
            }
        }
    }

    [Fact]
    public async Task The_cluster_config_is_valid_for_nats_server_on_every_node()
    {
        var dir = Path.Combine(_tmp, "cluster");
        new PkiInitializer(new PkiLayout(Path.Combine(dir, "pki"))).Run(["nats-1", "nats-2", "nats-3"], []);
        File.Copy(Repo("deploy", "nats", "cluster.conf"), Path.Combine(dir, "cluster.conf"));
        foreach (var node in new[] { "nats-1", "nats-2", "nats-3" })
        {
            var psi = new ProcessStartInfo(NatsServer.FindBinary(), ["-t", "-c", Path.Combine(dir, "cluster.conf")]) { RedirectStandardError = true, RedirectStandardOutput = true };
            psi.Environment["SIEM_NATS_NAME"] = node;
            using var check = Process.Start(psi)!;
            var output = await check.StandardError.ReadToEndAsync(Timeout()) + await check.StandardOutput.ReadToEndAsync(Timeout());
            await check.WaitForExitAsync(Timeout());
            Assert.True(check.ExitCode == 0, output);
        }
    }

    [Fact]
    public void The_compose_file_parses_and_names_services_files_and_commands_that_exist()
    {
        var yaml = new YamlStream();
        using (var reader = new StreamReader(Repo("deploy", "compose", "compose.yml"))) yaml.Load(reader);
        var services = (YamlMappingNode)((YamlMappingNode)yaml.Documents[0].RootNode)["services"];
        Assert.Equal(new[] { "api", "engine", "lineage", "nats-1", "nats-2", "nats-3", "opensearch" }, services.Children.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));

        foreach (var node in new[] { "nats-1", "nats-2", "nats-3" })
        {
            var service = (YamlMappingNode)services[node];
            Assert.Equal(node, ((YamlMappingNode)service["environment"])["SIEM_NATS_NAME"].ToString());
            foreach (var volume in ((YamlSequenceNode)service["volumes"]).Select(v => v.ToString()).Where(v => v.StartsWith("../", StringComparison.Ordinal)))
                Assert.True(File.Exists(Path.Combine(Repo("deploy", "compose"), volume.Split(':')[0])), volume);
        }
        var engine = (YamlMappingNode)services["engine"];
        Assert.True(int.Parse(((YamlMappingNode)engine["deploy"])["replicas"].ToString(), System.Globalization.CultureInfo.InvariantCulture) >= 2);
        Assert.True(File.Exists(Path.Combine(Repo("deploy", "compose"), ((YamlMappingNode)engine["build"])["context"].ToString(), ((YamlMappingNode)engine["build"])["dockerfile"].ToString())));
        // One image, one role per service: the engines, the lineage ledger and the console/API.
        foreach (var (service, role) in new[] { ("engine", "engine"), ("lineage", "lineage"), ("api", "api") })
        {
            var command = ((YamlSequenceNode)((YamlMappingNode)services[service])["command"]).Select(c => c.ToString()).ToArray();
            Assert.Equal(["serve", "--config", "/etc/siem/siem.yml", "--roles", role], command);
            Assert.Empty(ServeCommand.Create().Parse(command[1..]).Errors);
            Assert.Equal("siem:local", ((YamlMappingNode)services[service])["image"].ToString());
        }
    }

    [Fact]
    public void The_compose_engine_config_is_accepted_by_the_real_server_config_loader()
    {
        var pki = new PkiLayout(Path.Combine(_tmp, "pki"));
        new PkiInitializer(pki).Run(["nats-1"], []);
        var file = Path.Combine(_tmp, "siem.yml");
        File.WriteAllText(file, File.ReadAllText(Repo("deploy", "compose", "siem.yml")).Replace("/etc/siem/pki", pki.Dir, StringComparison.Ordinal).Replace("/var/lib/siem", Path.Combine(_tmp, "data"), StringComparison.Ordinal));

        var config = ServerConfigLoader.Load(file, name => name == "SIEM_ENROLLMENT_TOKENS" ? "a-token-of-at-least-16-chars" : null);

        Assert.Equal("elasticsearch", config.IndexKind);
        Assert.Equal(["tls://nats-1:4222", "tls://nats-2:4222", "tls://nats-3:4222"], config.ToNatsOpts("t").Servers);
        Assert.Equal(pki.EngineNKey, config.ToNatsOpts("t").NKeySeedFile);
        Assert.Equal(3, config.ScaleOut?.Replicas); // the replicas split correlation partitions; SIEM_CORR is R3
        Assert.True(config.ReportLineage); // the lineage role runs in its own container
        // The api service's section, as the api role reads it at start (a bad key would throw naming it); nothing connects.
        var nats = new NatsConnection(NatsOpts.Default);
        new Siem.Host.Server.Roles.ApiRole().Configure(new Siem.Host.Server.ServerContext { Config = config, Nats = nats, JetStream = new Siem.Nats.JetStream.NatsJSContext(nats), Log = TextWriter.Null });
    }

    [Theory]
    [InlineData("siem-agent.service", "ExecStart=/usr/local/bin/siem-agent run --config /etc/siem-agent/siem-agent.yml", "DynamicUser=yes")]
    [InlineData("siem@.service", "ExecStart=/opt/siem/siem serve --config /etc/siem/siem.yml --roles %i", "CapabilityBoundingSet=")]
    public void The_systemd_units_run_the_right_command_with_hardening(string unit, string execStart, string specific)
    {
        var lines = File.ReadAllLines(Repo("deploy", "systemd", unit)).Where(l => !l.StartsWith('#')).ToList();
        Assert.Equal(new[] { "[Unit]", "[Service]", "[Install]" }, lines.Where(l => l.StartsWith('[')));
        Assert.Contains(execStart, lines);
        foreach (var setting in new[] { specific, "NoNewPrivileges=yes", "ProtectSystem=strict", "ProtectHome=yes", "PrivateTmp=yes", "KillSignal=SIGTERM", "SystemCallFilter=@system-service" })
            Assert.Contains(setting, lines);
        Assert.DoesNotContain(lines, l => l.StartsWith("MemoryDenyWriteExecute", StringComparison.Ordinal)); // the .NET JIT needs W+X pages
        if (unit == "siem@.service")
            Assert.Empty(ServeCommand.Create().Parse(execStart.Split(' ')[2..].Select(a => a.Replace("%i", "engine", StringComparison.Ordinal)).ToArray()).Errors);
    }

    public void Dispose()
    {
        try { Directory.Delete(_tmp, recursive: true); } catch (IOException) { }
    }
}
