using System.CommandLine;
using Siem.Collectors.Config;
using Siem.Collectors.Enrollment;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Agent;

/// <summary><c>siem-agent enroll --server URL|--config FILE --token TOKEN [--agent-id ID] [--tenant T] [--state DIR]</c></summary>
internal static class EnrollCommand
{
    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "NATS URL of the broker the engine listens on (nats://host:4222); default: the config's servers" };
        var config = new Option<string?>("--config") { Description = "Agent YAML config: its servers block (TLS, NKey seed) is used to connect" };
        var token = new Option<string>("--token") { Description = "Enrollment token issued by the engine operator", Required = true };
        var agentId = new Option<string>("--agent-id") { Description = "Agent id (default: the host name)", DefaultValueFactory = _ => SafeId(Environment.MachineName) };
        var tenant = new Option<string>("--tenant") { Description = "Tenant", DefaultValueFactory = _ => "default" };
        var state = new Option<string>("--state") { Description = "State dir (identity key, enrollment, spool, checkpoints)", DefaultValueFactory = _ => "/var/lib/siem-agent" };
        var cmd = new Command("enroll", "Create this agent's identity key and enroll it with the engine.") { server, config, token, agentId, tenant, state };
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var stateDir = Path.GetFullPath(pr.GetValue(state)!);
            try
            {
                var cfg = pr.GetValue(config) is { } file ? AgentConfigLoader.Load(file) : null;
                var opts = NatsOptsFromConfig.ForCommand(cfg, pr.GetValue(server), pr.GetValue(tenant)!, pr.GetValue(agentId)!, "siem-agent-enroll");
                await using var connection = new NatsConnection(opts);
                await connection.ConnectAsync(ct);
                var result = await AgentEnroller.EnrollAsync(connection, pr.GetValue(token)!, pr.GetValue(agentId)!, pr.GetValue(tenant)!, stateDir, cancellationToken: ct);
                Console.WriteLine($"enrolled agent '{result.AgentId}' (tenant '{result.Tenant}'); engine key {result.EngineKeyId}; publishing on {result.Subject}; state in {stateDir}");
                return 0;
            }
            catch (Exception e) when (e is EnrollmentException or AgentConfigException or NatsException or ArgumentException or InvalidDataException or IOException)
            {
                Console.Error.WriteLine($"siem-agent enroll: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }

    private static string SafeId(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' ? c : '-').ToArray();
        return chars.Length == 0 ? "agent" : new string(chars);
    }
}
