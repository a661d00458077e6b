using System.CommandLine;
using Siem.Host.Server;
using Siem.Host.Server.Config;

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
            try
            {
                cfg = ServerConfigLoader.Load(pr.GetValue(config)!);
                selected = ServerRoles.Create(pr.GetValue(roles) is { } r ? r.Split(',') : cfg.Roles);
            }
            catch (Exception e) when (e is ServerConfigException or ArgumentException)
            {
                await err.WriteLineAsync($"siem serve: {e.Message}").ConfigureAwait(false);
                return 2;
            }
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
