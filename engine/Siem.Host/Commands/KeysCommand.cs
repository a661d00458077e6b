using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Siem.Core.Security;
using Siem.Engine.Keys;
using Siem.Host.Server.Config;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem keys list|rotate|retire</c>: the engine's X25519 keys under <c>&lt;data&gt;/engine</c> (<see cref="EngineKeyRing"/>).
/// A rotation makes a new key current; running engines pick it up within seconds and running agents switch to it at
/// their next key check. Earlier keys keep opening batches (also spooled ones) until retired; <c>retire</c> refuses while
/// the agent registry says an agent still seals to the key or has spooled batches under it (agents report this at
/// every key check), or while SIEM_EVENTS still holds batches sealed to it that no engine has consumed yet (read over
/// <c>--nats</c> or the NATS settings of <c>--config</c>), unless <c>--force</c>.
/// </summary>
internal static class KeysCommand
{
    public static Command Create()
    {
        var data = new Option<string?>("--data") { Description = "Data directory of the server (default: data_dir of --config, else .siem/data)" };
        var cmd = new Command("keys", "List, rotate or retire the engine's encryption keys.");

        var list = new Command("list", "The current key and the earlier keys still accepted, with the agents still using each.");
        list.Options.Add(data);
        list.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr.GetValue(data) ?? DefaultDataDir, null, Console.Out, Console.Error, "list", null, cancellationToken: ct));

        var rotate = new Command("rotate", "Make a new key current (running engines and agents switch to it); the old one keeps opening batches until retired.");
        rotate.Options.Add(data);
        rotate.SetAction((ParseResult pr, CancellationToken ct) => RunAsync(pr.GetValue(data) ?? DefaultDataDir, null, Console.Out, Console.Error, "rotate", null, cancellationToken: ct));

        var id = new Argument<string>("key-id") { Description = "An earlier key's id (see siem keys list)" };
        var force = new Option<bool>("--force") { Description = "Retire even though agents or waiting batches in SIEM_EVENTS may still use the key (those batches are quarantined as unknown_key)" };
        var nats = new Option<string?>("--nats") { Description = "NATS server of the running platform: SIEM_EVENTS is checked for unconsumed batches sealed to the key" };
        var config = new Option<string?>("--config") { Description = "The server's siem.yml: its NATS settings (TLS, NKey) and data_dir instead of --nats and --data" };
        var retire = new Command("retire", "Delete an earlier key once no agent and no waiting batch uses it: running engines quarantine batches still sealed to it (unknown_key).");
        foreach (var o in new Option[] { data, force, nats, config }) retire.Options.Add(o);
        retire.Arguments.Add(id);
        retire.SetAction((ParseResult pr, CancellationToken ct) => RetireAsync(pr.GetValue(data), pr.GetValue(config), pr.GetValue(nats), pr.GetValue(id)!, pr.GetValue(force), ct));

        cmd.Subcommands.Add(list);
        cmd.Subcommands.Add(rotate);
        cmd.Subcommands.Add(retire);
        return cmd;
    }

    private static string DefaultDataDir => Path.Combine(".siem", "data");

    /// <summary><c>retire</c> from the command line: connects to NATS when told where, so the stream can be checked.</summary>
    private static async Task<int> RetireAsync(string? dataDir, string? configPath, string? natsUrl, string keyId, bool force, CancellationToken cancellationToken)
    {
        ServerConfig? config = null;
        try
        {
            if (configPath != null) config = ServerConfigLoader.Load(configPath);
        }
        catch (ServerConfigException e)
        {
            await Console.Error.WriteLineAsync($"siem keys retire: {e.Message}").ConfigureAwait(false);
            return 2;
        }
        var opts = natsUrl != null ? NatsOpts.Default with { Servers = [natsUrl], Name = "siem-keys" } : config?.ToNatsOpts("siem-keys");
        await using var connection = opts != null ? new NatsConnection(opts) : null;
        if (connection != null)
        {
            try
            {
                await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (NatsException e)
            {
                await Console.Error.WriteLineAsync($"siem keys retire: cannot reach NATS at {string.Join(", ", opts!.Servers)} to check SIEM_EVENTS: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        }
        var js = connection != null ? new NatsJSContext(connection) : null;
        return await RunAsync(dataDir ?? config?.DataDir ?? DefaultDataDir, js, Console.Out, Console.Error, "retire", keyId, force, cancellationToken).ConfigureAwait(false);
    }

    /// <param name="jetStream">Where SIEM_EVENTS is checked before a retirement; null = not reachable (retire then needs <paramref name="force"/>).</param>
    internal static async Task<int> RunAsync(string dataDir, NatsJSContext? jetStream, TextWriter stdout, TextWriter stderr, string action, string? keyId, bool force = false, CancellationToken cancellationToken = default)
    {
        if (!File.Exists(EngineKeyRing.CurrentPath(dataDir)))
        {
            await stderr.WriteLineAsync($"siem keys {action}: no engine key at {Path.GetFullPath(EngineKeyRing.CurrentPath(dataDir))}; pass --data DIR of a server").ConfigureAwait(false);
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
                    await stderr.WriteLineAsync($"engine key {ring.Current.KeyId} is current; {old} still opens batches until `siem keys retire {old}`. Running engines use it within seconds; "
                        + "running agents switch at their next key check (agent.key_check_interval_s, default 5 min) — `siem keys list` shows who has.").ConfigureAwait(false);
                    break;
                case "retire":
                    if (ring.Previous.Any(k => k.KeyId == keyId) && !await MayRetireAsync(agents, jetStream, keyId!, force, stderr, cancellationToken).ConfigureAwait(false)) return 1;
                    ring = ring.Retire(keyId!);
                    await stderr.WriteLineAsync($"engine key {keyId} retired; running engines stop accepting it within seconds").ConfigureAwait(false);
                    break;
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or KeyNotFoundException or NatsException)
        {
            await stderr.WriteLineAsync($"siem keys {action}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
        await stdout.WriteLineAsync($"{ring.Current.KeyId}  current   created {ring.Current.CreatedAt:u}  {Describe(Users(agents, ring.Current.KeyId))}").ConfigureAwait(false);
        foreach (var k in ring.Previous) await stdout.WriteLineAsync($"{k.KeyId}  accepted  created {k.CreatedAt:u}  {Describe(Users(agents, k.KeyId))}").ConfigureAwait(false);
        if (agents.Count(a => a.EngineKeyId is null) is > 0 and var unknown)
            await stdout.WriteLineAsync($"{unknown} agent(s) have not reported their engine key yet (enrolled before agents reported it; they do at their next key check)").ConfigureAwait(false);
        return 0;
    }

    /// <summary>
    /// No agent reports using the key and SIEM_EVENTS holds no batch sealed to it (a work queue: what is there is not
    /// consumed yet), or <paramref name="force"/>. Says who and how many when it refuses (or when forced).
    /// </summary>
    private static async Task<bool> MayRetireAsync(List<AgentRecord> agents, NatsJSContext? jetStream, string keyId, bool force, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (Users(agents, keyId) is { Count: > 0 } users)
        {
            var who = string.Join(", ", users.Take(20).Select(u => $"{u.Agent.AgentId} ({u.Why})")) + (users.Count > 20 ? $" and {users.Count - 20} more" : "");
            if (!force)
            {
                await stderr.WriteLineAsync($"siem keys retire: refusing: {users.Count} agent(s) may still send batches sealed to {keyId}: {who}. "
                    + "Running agents switch at their next key check and report when their spooled batches are delivered; wait and check `siem keys list`, "
                    + $"revoke agents that are gone, or pass --force (their batches sealed to {keyId} are then quarantined as unknown_key).").ConfigureAwait(false);
                return false;
            }
            await stderr.WriteLineAsync($"siem keys retire: --force: batches sealed to {keyId} by {who} will be quarantined as unknown_key; those agents must enroll again if they still seal to it").ConfigureAwait(false);
        }
        if (jetStream == null)
        {
            if (force) return true;
            await stderr.WriteLineAsync($"siem keys retire: refusing: cannot check SIEM_EVENTS for batches sealed to {keyId} that no engine has consumed yet; "
                + "pass --nats URL or --config siem.yml of the running platform, or --force (such batches are then quarantined as unknown_key)").ConfigureAwait(false);
            return false;
        }
        var waiting = await UnconsumedBatches.SealedToAsync(jetStream, keyId, ScanProgress(keyId, stderr), cancellationToken).ConfigureAwait(false);
        if (waiting.Count == 0) return true;
        if (!force)
        {
            await stderr.WriteLineAsync($"siem keys retire: refusing: SIEM_EVENTS still holds {waiting.Count} unconsumed batch(es) sealed to {keyId} (of {waiting.Scanned} waiting), from {waiting.Describe()}. "
                + "Let the engines consume them (check the consumer lag) and retire again, or pass --force (they are then quarantined as unknown_key).").ConfigureAwait(false);
            return false;
        }
        await stderr.WriteLineAsync($"siem keys retire: --force: {waiting.Count} unconsumed batch(es) sealed to {keyId} in SIEM_EVENTS, from {waiting.Describe()}, will be quarantined as unknown_key").ConfigureAwait(false);
        return true;
    }

    /// <summary>How often a long scan of SIEM_EVENTS says how far it is (a short one says nothing).</summary>
    private static readonly TimeSpan ScanProgressInterval = TimeSpan.FromSeconds(2);

    /// <summary>A line on stderr every <see cref="ScanProgressInterval"/> while the scan runs: read so far, rate, time left.</summary>
    private static Action<long, long> ScanProgress(string keyId, TextWriter stderr)
    {
        long started = Stopwatch.GetTimestamp(), lastReport = started;
        return (scanned, waiting) =>
        {
            long now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(lastReport, now) < ScanProgressInterval) return;
            lastReport = now;
            double rate = scanned / Stopwatch.GetElapsedTime(started, now).TotalSeconds;
            string left = waiting > scanned ? string.Create(CultureInfo.InvariantCulture, $", about {(waiting - scanned) / rate:0} s left") : "";
            stderr.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"siem keys retire: checking SIEM_EVENTS for batches sealed to {keyId}: {scanned:N0} of {waiting:N0} waiting batches read ({rate:0}/s{left})"));
        };
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
