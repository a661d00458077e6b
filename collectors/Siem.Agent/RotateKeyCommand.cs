using System.CommandLine;
using Siem.Collectors.Config;
using Siem.Collectors.Enrollment;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Agent;

/// <summary><c>siem-agent rotate-key --state DIR (--config FILE | --server URL)</c>: replaces the agent's identity key
/// (<see cref="IdentityRotation"/>); a running agent signs with the new key within a second.</summary>
internal static class RotateKeyCommand
{
    public static Command Create()
    {
        var server = new Option<string?>("--server") { Description = "NATS URL of the broker (nats://host:4222); default: the config's servers" };
        var config = new Option<string?>("--config") { Description = "Agent YAML config: its servers block (TLS, NKey seed) is used to connect, its state_dir unless --state is given" };
        var state = new Option<string?>("--state") { Description = "State dir of the enrolled agent (default: the config's agent.state_dir, else /var/lib/siem-agent)" };
        var cmd = new Command("rotate-key", "Replace this agent's identity key: the engine registers the new key (request signed with the old one) and accepts the old one for its grace period.") { server, config, state };
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            try
            {
                var cfg = pr.GetValue(config) is { } file ? AgentConfigLoader.Load(file) : null;
                var stateDir = Path.GetFullPath(pr.GetValue(state) ?? cfg?.StateDir ?? "/var/lib/siem-agent");
                var enrolled = EnrollmentState.Load(stateDir);
                var opts = NatsOptsFromConfig.ForCommand(cfg, pr.GetValue(server), enrolled.Tenant, enrolled.AgentId, "siem-agent-rotate-key");
                await using var connection = new NatsConnection(opts);
                await connection.ConnectAsync(ct);
                var result = await IdentityRotation.RotateAsync(connection, stateDir, cancellationToken: ct);
                Console.WriteLine($"agent '{result.AgentId}': identity key {result.NewFingerprint} registered (replaces {result.OldFingerprint}); "
                    + $"the engine accepts batches signed with the old key until {result.OldKeyValidUntil:u}. A running agent signs with the new key from now on.");
                return 0;
            }
            catch (Exception e) when (e is EnrollmentException or AgentConfigException or NatsException or ArgumentException or InvalidDataException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"siem-agent rotate-key: {e.Message}");
                return 1;
            }
        });
        return cmd;
    }
}
