using System.CommandLine;
using Siem.Host.Server;
using Siem.Host.Server.Config;
using Siem.Telemetry;

namespace Siem.Host.Commands;

/// <summary><c>siem serve --config FILE [--roles engine,...]</c>: the long-running server process (see deploy/server/siem.yml).</summary>
internal static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "Server config YAML (sample: deploy/server/siem.yml)", Required = true };
        var roles = new Option<string?>("--roles") { Description = $"Comma-separated roles to run (known: {string.Join(", ", ServerRoles.Names)}); default: server.roles from the config" };
        var cmd = new Command("serve", "Run the server roles (engine, ...) from a config file until SIGTERM/SIGINT.");
        cmd.Options.Add(config);
        cmd.Options.Add(roles);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var err = Console.Error;
            ServerConfig cfg;
            IReadOnlyList<IServerRole> selected;
            TelemetryOptions telemetry;
            try
            {
                cfg = ServerConfigLoader.Load(pr.GetValue(config)!);
                selected = ServerRoles.Create(pr.GetValue(roles) is { } r ? r.Split(',') : cfg.Roles);
                telemetry = TelemetryOptions.FromEnvironment();
            }
            catch (Exception e) when (e is ServerConfigException or ArgumentException)
            {
                await err.WriteLineAsync($"siem serve: {e.Message}").ConfigureAwait(false);
                return 2;
            }
            // OTLP metrics export when OTEL_EXPORTER_OTLP_ENDPOINT is set; disposing exports a last time.
            using var metrics = SiemTelemetry.StartMetrics("siem", SiemMeters.Server, telemetry, cfg.Instance);
            if (metrics != null) await err.WriteLineAsync($"serve: exporting metrics over OTLP: {telemetry}").ConfigureAwait(false);
            try
            {
                return await ServerHost.RunAsync(cfg, selected, err, ct).ConfigureAwait(false);
            }
            catch (ServerConfigException e)
            {
                await err.WriteLineAsync($"siem serve: {e.Message}").ConfigureAwait(false);
                return 2;
            }
        });
        return cmd;
    }
}
