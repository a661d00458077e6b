using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Siem.Collectors.Enrollment;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Enrollment;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Nats.Tests;
using Siem.Testing;

namespace Siem.Collectors.Tests.Agent;

/// <summary>
/// The agent executable end to end, every path that a trimmed Native AOT build could break (./test.sh runs this
/// class once more against the published AOT binary through SIEM_AGENT_EXE): <c>enroll</c> over TLS to a real
/// nats-server, then <c>run</c> shipping over TLS from a file, syslog UDP, syslog TCP, syslog over TLS and journald
/// (a journalctl stand-in on PATH: the container has no journal), every record opened with the engine's key, and a
/// source's <c>module:</c> label on that source's records.
/// </summary>
public sealed class AgentExecutableTests : IAsyncLifetime
{
    private const string Token = "enroll-aot-51d2";
    private const string JournalctlStandIn = """
        #!/bin/sh
        # journalctl -o json -f stand-in: two entries, then follow (the agent kills it when it stops).
        printf '%s\n' '{"__CURSOR":"s=1;i=1","__REALTIME_TIMESTAMP":"1763784000000000","_HOSTNAME":"web-01","SYSLOG_IDENTIFIER":"sshd","_PID":"77","MESSAGE":"Failed password for journal-user-1 from 10.9.0.1 port 2201 ssh2"}'
        printf '%s\n' '{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1763784001000000","_HOSTNAME":"web-01","SYSLOG_IDENTIFIER":"sshd","_PID":"77","MESSAGE":"Failed password for journal-user-2 from 10.9.0.2 port 2202 ssh2"}'
        exec sleep 20
        """;

    private readonly TestCertificates _certs = TestCertificates.Create();
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-agent-exe-").FullName;
    private readonly EngineKeyPair _engineKey = EngineKeyPair.Create();
    private readonly AgentRegistry _registry = new();
    private NatsServer _nats = null!;
    private NatsConnection _engine = null!;
    private EnrollmentResponder _responder = null!;

    public async Task InitializeAsync()
    {
        // TLS required; the handshake timeout is generous because a loaded CI machine starts the agent process slowly.
        _nats = await NatsServer.StartAsync($"tls {{\n  cert_file: \"{_certs.ServerCertFile}\"\n  key_file: \"{_certs.ServerKeyFile}\"\n  timeout: 10\n}}\n");
        _engine = new NatsConnection(NatsOpts.Default with { Servers = [_nats.Url], TlsCaFile = _certs.CaFile, Name = "engine" });
        await _engine.ConnectAsync();
        await new NatsJSContext(_engine).CreateStreamAsync(new StreamConfig("SIEM_EVENTS", "siem.events.>") { DuplicateWindow = TimeSpan.FromMinutes(2) });
        _responder = new EnrollmentResponder(_engine, _registry, _engineKey, [Token]);
        await _responder.StartAsync();
        await _engine.PingAsync();
    }

    public async Task DisposeAsync()
    {
        await _responder.DisposeAsync();
        await _engine.DisposeAsync();
        await _nats.DisposeAsync();
        _certs.Dispose();
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Fact]
    public async Task Enrolls_over_tls_then_ships_file_syslog_udp_tcp_tls_and_journald_lines_the_engine_opens()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(40));
        var stateDir = Path.Combine(_dir, "state");
        var logPath = Path.Combine(_dir, "auth.log");
        var binDir = Directory.CreateDirectory(Path.Combine(_dir, "bin")).FullName;
        var journalctl = Path.Combine(binDir, "journalctl");
        File.WriteAllText(journalctl, JournalctlStandIn.ReplaceLineEndings("\n") + "\n");
        File.SetUnixFileMode(journalctl, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(logPath, string.Join("", Enumerable.Range(1, 3).Select(i => $"Nov 22 04:00:0{i} web-01 sshd[10{i}]: Failed password for file-user-{i} from 10.8.0.{i} port 220{i} ssh2\n")));
        var (udpPort, tcpPort, tlsPort) = (FreeUdpPort(), FreeTcpPort(), FreeTcpPort());
        var config = Path.Combine(_dir, "agent.yml");
        File.WriteAllText(config, $"""
            agent:
              state_dir: {stateDir}
            servers:
              urls: [{_nats.Url}]
              tls:
                ca_file: {_certs.CaFile}
            sources:
              - type: file
                name: auth
                paths: [{logPath}]
              - type: syslog_udp
                listen: 127.0.0.1:{udpPort}
                module: sshd-relay
              - type: syslog_tcp
                listen: 127.0.0.1:{tcpPort}
              - type: syslog_tcp
                name: syslog-tls
                listen: 127.0.0.1:{tlsPort}
                tls:
                  cert_file: {_certs.ServerCertFile}
                  key_file: {_certs.ServerKeyFile}
              - type: journald
            parser:
              timezone: UTC
            batch:
              linger_ms: 20
            status_interval_ms: 50
            """);

        var (code, stdout, stderr) = await AgentProcess.RunAsync("enroll", "--config", config, "--token", Token, "--agent-id", "web-01", "--tenant", "acme", "--state", stateDir);
        Assert.True(code == 0, $"enroll exited {code}: {stdout}{stderr}");
        Assert.Contains("enrolled agent 'web-01' (tenant 'acme')", stdout, StringComparison.Ordinal);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(stateDir, EnrollmentState.IdentityFile)));

        var output = new List<string>();
        var agent = AgentProcess.Start(config, output, new Dictionary<string, string> { ["PATH"] = $"{binDir}:{Environment.GetEnvironmentVariable("PATH")}" });
        try
        {
            await AgentTestKit.WaitUntilAsync(() => agent.HasExited || AgentProcess.Status(stateDir) is { } s && s.Pid == agent.Id, "the agent to start", seconds: 20);
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            using (var udp = new UdpClient())
            {
                var datagram = Encoding.UTF8.GetBytes("<38>Nov 22 04:00:10 web-02 sshd[201]: Failed password for udp-user from 10.7.0.1 port 2301 ssh2");
                await udp.SendAsync(datagram, new IPEndPoint(IPAddress.Loopback, udpPort), timeout.Token);
            }
            using (var tcp = new TcpClient())
            {
                await tcp.ConnectAsync(IPAddress.Loopback, tcpPort, timeout.Token);
                await tcp.GetStream().WriteAsync("<38>Nov 22 04:00:11 web-03 sshd[202]: Failed password for tcp-user from 10.7.0.2 port 2302 ssh2\n"u8.ToArray(), timeout.Token);
            }
            await SendOverTlsAsync(tlsPort, "<38>1 2026-11-22T04:00:12Z web-04 sshd 203 - - Failed password for tls-user from 10.7.0.3 port 2303 ssh2", timeout.Token);

            await AgentTestKit.WaitUntilAsync(() => agent.HasExited || AgentProcess.Status(stateDir) is { RecordsShipped: >= 8 }, "8 records acknowledged", seconds: 20);
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            var status = AgentProcess.Status(stateDir)!;
            Assert.Equal(8, status.RecordsShipped);
            Assert.Equal(0, status.Errors);
        }
        finally
        {
            AgentProcess.Kill(agent);
        }

        var events = await ReadStreamAsync(timeout.Token);
        var users = events.Select(e => e.Fields.GetValueOrDefault("user.name") as string).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["file-user-1", "file-user-2", "file-user-3", "journal-user-1", "journal-user-2", "tcp-user", "tls-user", "udp-user"], users);
        Assert.All(events, e => Assert.Equal("web-01", e.AgentId));
        // The UDP source's module: label, on its records only.
        Assert.Equal([("udp-user", "sshd-relay")], events.Where(e => e.Fields.ContainsKey("event.module")).Select(e => (e.Fields["user.name"], e.Fields["event.module"])));
        Assert.All(events, e => Assert.Equal(("ssh_login", "failure"), (e.Fields.GetValueOrDefault("event.action"), e.Fields.GetValueOrDefault("event.outcome"))));
    }

    private async Task SendOverTlsAsync(int port, string message, CancellationToken cancellationToken)
    {
        using var expected = X509Certificate2.CreateFromPemFile(_certs.ServerCertFile, _certs.ServerKeyFile);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port, cancellationToken);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, cert, _, _) => cert is not null && cert.GetCertHashString() == expected.GetCertHashString());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost" }, cancellationToken);
        var body = Encoding.UTF8.GetBytes(message);
        await tls.WriteAsync(Encoding.ASCII.GetBytes($"{body.Length} ").Concat(body).ToArray(), cancellationToken);
        await tls.FlushAsync(cancellationToken);
    }

    /// <summary>Every record in SIEM_EVENTS, read over TLS and opened with the engine's key (a failure to open fails the test).</summary>
    private async Task<List<LogEvent>> ReadStreamAsync(CancellationToken cancellationToken)
    {
        var js = new NatsJSContext(_engine);
        var info = await js.GetStreamAsync("SIEM_EVENTS", cancellationToken);
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [_engineKey.KeyId] = _engineKey }, _registry);
        var events = new List<LogEvent>();
        for (var seq = info.State.FirstSeq; seq <= info.State.LastSeq && info.State.Messages > 0; seq++)
        {
            var msg = await js.GetMsgAsync("SIEM_EVENTS", seq, cancellationToken);
            var opened = opener.Open(name => msg.Headers?[name], msg.Data.Span);
            Assert.True(opened.Ok, $"stream seq {seq}: {opened.Failure} {opened.Detail}");
            events.AddRange(LogEventJson.DecodeBatch(opened.Plaintext));
        }
        return events;
    }

    private static int FreeTcpPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static int FreeUdpPort()
    {
        using var socket = new UdpClient(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)socket.Client.LocalEndPoint!).Port;
    }
}
