using System.CommandLine;
using Siem.Core.Security;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem keys list|rotate|retire</c>: the engine's X25519 keys under <c>&lt;data&gt;/engine</c> (<see cref="EngineKeyRing"/>).
/// A rotation makes a new key current; running engines pick it up within seconds and running agents switch to it at
/// their next key check. Earlier keys keep opening batches (also spooled ones) until retired; <c>retire</c> refuses while
/// the agent registry says an agent still seals to the key or has spooled batches under it (agents report this at
/// every key check), unless <c>--force</c>.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "Data directory of the server", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var cmd = new Command("keys", "List, rotate or retire the engine's encryption keys.");

        var list = new Command("list", "The current key and the earlier keys still accepted, with the agents still using each.");
        list.Options.Add(data);
        list.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "list", null)));

        var rotate = new Command("rotate", "Make a new key current (running engines and agents switch to it); the old one keeps opening batches until retired.");
        rotate.Options.Add(data);
        rotate.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "rotate", null)));

        var id = new Argument<string>("key-id") { Description = "An earlier key's id (see siem keys list)" };
        var force = new Option<bool>("--force") { Description = "Retire even though agents may still send batches sealed to the key (they are quarantined as unknown_key)" };
        var retire = new Command("retire", "Delete an earlier key once no agent uses it: running engines quarantine batches still sealed to it (unknown_key).");
        retire.Options.Add(data);
        retire.Options.Add(force);
        retire.Arguments.Add(id);
        retire.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(data)!, Console.Out, Console.Error, "retire", pr.GetValue(id), pr.GetValue(force))));

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(rotate);
        cmd.Subcommands.Add(retire);
        return cmd;
    }

    internal static int Run(string dataDir, TextWriter stdout, TextWriter stderr, string action, string? keyId, bool force = false)
    {
        if (!File.Exists(EngineKeyRing.CurrentPath(dataDir)))
        {
            stderr.WriteLine($"siem keys {action}: no engine key at {Path.GetFullPath(EngineKeyRing.CurrentPath(dataDir))}; pass --data DIR of a server");
            return 1;
        }
        var ring = EngineKeyRing.Open(dataDir, out _);
        var agents = new AgentRegistry(Path.Combine(dataDir, "engine", "agents.json")).All.Where(a => !a.Revoked).ToList();
        try
        {
            switch (action)
            {
                case "rotate":
                    var old = ring.Current.KeyId;
                    ring = ring.Rotate();
                    stderr.WriteLine($"engine key {ring.Current.KeyId} is current; {old} still opens batches until `siem keys retire {old}`. Running engines use it within seconds; "
                        + "running agents switch at their next key check (agent.key_check_interval_s, default 5 min) — `siem keys list` shows who has.");
                    break;
                case "retire":
                    if (ring.Previous.Any(k => k.KeyId == keyId) && Users(agents, keyId!) is { Count: > 0 } users)
                    {
                        var who = string.Join(", ", users.Take(20).Select(u => $"{u.Agent.AgentId} ({u.Why})")) + (users.Count > 20 ? $" and {users.Count - 20} more" : "");
                        if (!force)
                        {
                            stderr.WriteLine($"siem keys retire: refusing: {users.Count} agent(s) may still send batches sealed to {keyId}: {who}. "
                                + "Running agents switch at their next key check and report when their spooled batches are delivered; wait and check `siem keys list`, "
                                + $"revoke agents that are gone, or pass --force (their batches sealed to {keyId} are then quarantined as unknown_key).");
                            return 1;
                        }
                        stderr.WriteLine($"siem keys retire: --force: batches sealed to {keyId} by {who} will be quarantined as unknown_key; those agents must enroll again if they still seal to it");
                    }
                    ring = ring.Retire(keyId!);
                    stderr.WriteLine($"engine key {keyId} retired; running engines stop accepting it within seconds");
                    break;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException)
        {
            stderr.WriteLine($"siem keys {action}: {ex.Message}");
            return 1;
        }
        stdout.WriteLine($"{ring.Current.KeyId}  current   created {ring.Current.CreatedAt:u}  {Describe(Users(agents, ring.Current.KeyId))}");
        foreach (var k in ring.Previous) stdout.WriteLine($"{k.KeyId}  accepted  created {k.CreatedAt:u}  {Describe(Users(agents, k.KeyId))}");
        if (agents.Count(a => a.EngineKeyId is null) is > 0 and var unknown)
            stdout.WriteLine($"{unknown} agent(s) have not reported their engine key yet (enrolled before agents reported it; they do at their next key check)");
        return 0;
    }

    /// <summary>Agents (not revoked) that may still send batches sealed to <paramref name="keyId"/>, as they last reported.</summary>
    private static List<(AgentRecord Agent, string Why)> Users(IEnumerable<AgentRecord> agents, string keyId) =>
    [
        .. agents.Select(a => (Agent: a, Why: a.EngineKeyId == keyId ? "seals to it"
            : a.PendingEngineKeyIds?.Contains(keyId) == true ? "spooled batches sealed to it"
            : a.EngineKeyId is null ? "has not reported its key" : null))
            .Where(u => u.Why != null)
            .Select(u => (u.Agent, u.Why!)),
    ];

    private static string Describe(List<(AgentRecord Agent, string Why)> users)
    {
        var sealing = users.Count(u => u.Why == "seals to it");
        var spooled = users.Count(u => u.Why == "spooled batches sealed to it");
        return $"{sealing} agent(s) sealing to it, {spooled} with spooled batches";
    }
}
