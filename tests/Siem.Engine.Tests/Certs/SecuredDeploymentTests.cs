using Siem.Collectors.Agent;
using Siem.Collectors.Delivery;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Sources;
using Siem.Engine.Pipeline;
using Siem.Host.Server;
using Siem.Host.Server.Config;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests.Certs;

/// <summary>The whole secured path: `siem serve` (engine role) and a real agent host on a nats-server that runs the
/// generated TLS + accounts config, each with only its own certificate and NKey.</summary>
public sealed class SecuredDeploymentTests(SecuredNats nats) : IClassFixture<SecuredNats>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-secured-").FullName;

    [Fact]
    public async Task An_agent_enrolls_and_ships_over_mutual_TLS_with_its_NKey_and_the_engine_indexes_every_line()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var ct = timeout.Token;
        var pki = nats.Layout;
        const string token = "enrollment-token-0123456789";
        var config = ServerConfigLoader.Parse($"""
            server:
              data_dir: data
            nats:
              urls: [tls://127.0.0.1:{nats.Server.Port}]
              nkey_seed_file: {pki.EngineNKey}
              tls:
                ca_file: {pki.CaCert}
                cert_file: {pki.EngineCert}
                key_file: {pki.EngineKey}
            rules:
              include_pack: false
            enrollment:
              tokens_env: SIEM_TEST_TOKENS
            """, baseDir: _dir, env: name => name == "SIEM_TEST_TOKENS" ? token : null);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var log = new StringWriter();
        var serve = Task.Run(() => ServerHost.RunAsync(config, ServerRoles.Create(["engine"]), TextWriter.Synchronized(log), stop.Token), CancellationToken.None);

        var stateDir = Path.Combine(_dir, "agent");
        await using (var enroll = new NatsConnection(nats.AgentOpts(SecuredNats.Web01)))
        {
            await SecuredNats.ConnectAsync(enroll, ct);
            while (true)
            {
                if (serve.IsCompleted) Assert.Fail($"siem serve stopped early:\n{log}"); // the log is read only once serve stopped writing it
                try
                {
                    var state = await AgentEnroller.EnrollAsync(enroll, token, "web-01", "acme", stateDir, TimeSpan.FromSeconds(2), ct);
                    Assert.Equal(SecuredNats.Web01.EventsSubject, state.Subject);
                    break;
                }
                catch (EnrollmentException e) when (e.InnerException is NatsNoRespondersException)
                {
                    await Task.Delay(100, ct); // the engine role is still starting
                }
            }
        }

        var logFile = Path.Combine(_dir, "auth.log");
        await File.WriteAllLinesAsync(logFile, Enumerable.Range(0, 20).Select(i => $"Nov 22 04:00:{i:D2} web-01 sshd[{1000 + i}]: Failed password for invalid user u{i} from 10.0.0.{i} port {20000 + i} ssh2"), ct);
        await using (var agent = AgentHost.Start(new AgentHostOptions
        {
            StateDir = stateDir,
            Nats = nats.AgentOpts(SecuredNats.Web01),
            Batch = new BatchOptions { MaxRecords = 8, Linger = TimeSpan.FromMilliseconds(50) },
            Shipper = new ShipperOptions { AckTimeout = TimeSpan.FromSeconds(5) },
        }, [new FileTailSource(new FileTailOptions { Paths = [logFile], CheckpointPath = Path.Combine(stateDir, "checkpoints", "auth.json"), PollInterval = TimeSpan.FromMilliseconds(20) })]))
        {
            while (agent.Metrics.RecordsShipped < 20) await Task.Delay(50, ct);
            Assert.Equal(0, agent.Metrics.Errors);
        }

        await using var engineView = new NatsConnection(nats.EngineOpts());
        await SecuredNats.ConnectAsync(engineView, ct);
        var js = new NatsJSContext(engineView);
        while (await js.GetConsumerInfoAsync(EngineStreams.Events, EngineOptions.Default.Durable, ct) is not { NumPending: 0, NumAckPending: 0 })
            await Task.Delay(50, ct);
        await stop.CancelAsync();
        Assert.Equal(0, await serve);
        Assert.Contains("stopped: 20 events indexed", log.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("Permissions Violation", log.ToString(), StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }
}
