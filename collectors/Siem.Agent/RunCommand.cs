using System.CommandLine;
using System.Runtime.InteropServices;
using Siem.Collectors.Agent;
using Siem.Collectors.Config;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Parsing;
using Siem.Nats;
using Siem.Telemetry;

namespace Siem.Agent;

/// <summary><c>siem-agent run --config FILE</c>: runs until SIGINT/SIGTERM, then flushes (acks or spool) and exits.</summary>
internal static class RunCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Agent YAML config (see deploy/agent/siem-agent.yml)", Required = true };
        var flush = new Option<int>("--flush-timeout-ms") { Description = "How long a graceful stop may wait for acks/spool drain", DefaultValueFactory = _ => 10_000 };
        var cmd = new Command("run", "Run the agent: tail sources, parse, encrypt, ship to JetStream.") { config, flush };
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            AgentConfig cfg;
            TelemetryOptions telemetry;
            try
            {
                cfg = AgentConfigLoader.Load(pr.GetValue(config)!);
                telemetry = TelemetryOptions.FromEnvironment();
            }
            catch (Exception e) when (e is AgentConfigException or ArgumentException)
            {
                Console.Error.WriteLine($"siem-agent: {e.Message}");
                return 2;
            }
            // Self-metrics (the same counters `siem-agent status` shows) over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set.
            using var metrics = SiemTelemetry.StartMetrics("siem-agent", [SiemMeters.Agent], telemetry, cfg.AgentId);
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
            AgentHost host;
            try
            {
                var parser = ParserOptions.Default;
                if (cfg.TimeZone is not null) parser = parser with { TimeZone = cfg.TimeZone };
                var options = new AgentHostOptions
                {
                    StateDir = cfg.StateDir,
                    Nats = EnrolledNatsOpts(cfg),
                    Batch = cfg.Batch,
                    Spool = cfg.Spool,
                    Shipper = cfg.Delivery,
                    Parser = parser,
                    StatusInterval = cfg.StatusInterval,
                    KeyCheckInterval = cfg.KeyCheckInterval,
                    Log = m => Console.Error.WriteLine($"{DateTimeOffset.UtcNow:O} siem-agent: {m}"),
                };
                var sources = SourceFactory.Create(cfg);
                host = AgentHost.Start(options, sources);
                if (cfg.AgentId is not null && cfg.AgentId != host.Enrollment.AgentId)
                {
                    await host.DisposeAsync();
                    Console.Error.WriteLine($"siem-agent: agent.id '{cfg.AgentId}' in the config differs from the enrolled id '{host.Enrollment.AgentId}' in {cfg.StateDir}");
                    return 2;
                }
            }
            catch (Exception e) when (e is InvalidOperationException or InvalidDataException or IOException or NotSupportedException or ArgumentException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"siem-agent: {e.Message}");
                return 1;
            }
            Console.Error.WriteLine($"siem-agent: running as '{host.Enrollment.AgentId}', publishing on {host.Enrollment.Subject}");
            try
            {
                await Task.WhenAny(host.Completion, Task.Delay(Timeout.Infinite, stop.Token));
            }
            finally
            {
                await host.StopAsync(TimeSpan.FromMilliseconds(pr.GetValue(flush)));
                await host.DisposeAsync();
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The enrolled identity decides the reply-inbox prefix; before enrollment AgentHost reports the missing state.</summary>
    private static NatsOpts EnrolledNatsOpts(AgentConfig cfg)
    {
        var enrolled = File.Exists(Path.Combine(cfg.StateDir, EnrollmentState.StateFile))
            ? EnrollmentState.Load(cfg.StateDir)
            : null;
        return NatsOptsFromConfig.Create(cfg, enrolled?.Tenant, enrolled?.AgentId);
    }
}
