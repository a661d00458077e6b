using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Enrollment;
using Siem.Engine.Pipeline;
using Siem.Host.Demo;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench pipeline</c>: the whole platform on this machine against a private nats-server, in one run:
/// (1) the broker ceiling — raw acknowledged JetStream publishes of real sealed batches, counted in events
/// (messages × records per batch); (2) throughput — an in-process agent tails a generated auth.log, seals and ships
/// it, the engine verifies, decrypts, runs the whole SigmaHQ corpus plus our pack (default pipeline) and indexes
/// into SQLite, timed from the agent's start to the last event indexed; (3) latency — lines appended at a fixed
/// offered rate, one in 100 raising a new alert, timed from the line written to the alert indexed. Prints figures
/// on stderr, and the JSON result as the last line of stdout. Never asserts.
/// </summary>
internal static partial class PipelineBench
{
    public static Command CreateCommand()
    {
        var lines = new Option<int>("--lines") { Description = "Lines for the throughput phase.", DefaultValueFactory = _ => 100_000 };
        var rate = new Option<int>("--rate") { Description = "Offered events/s for the latency phase.", DefaultValueFactory = _ => 10_000 };
        var seconds = new Option<int>("--latency-seconds") { Description = "Duration of the latency phase.", DefaultValueFactory = _ => 10 };
        var rules = new Option<string?>("--rules") { Description = "Sigma rule directory loaded with our pack (default: ../shared/testdata/sigma/rules)." };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result on stdout (figures still go to stderr)." };
        var cmd = new Command("pipeline", "Agent → JetStream → engine (SigmaHQ corpus + pack) → SQLite: events/s against the broker ceiling, and p99 line-to-alert latency.");
        foreach (var o in new Option[] { lines, rate, seconds, rules, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int n = pr.GetValue(lines), r = pr.GetValue(rate), s = pr.GetValue(seconds);
            var rulesDir = pr.GetValue(rules) ?? (RulesBench.FindTestData() is { } td ? Path.Combine(td, "sigma", "rules") : null);
            if (n < 1000 || r < 100 || s < 1)
            {
                Console.Error.WriteLine("bench pipeline: --lines must be >= 1000, --rate >= 100, --latency-seconds >= 1");
                return 2;
            }
            if (rulesDir == null || !Directory.Exists(rulesDir))
            {
                Console.Error.WriteLine($"bench pipeline: the SigmaHQ corpus was not found ({rulesDir ?? "../shared/testdata/sigma/rules"}); pass --rules DIR");
                return 2;
            }
            Console.WriteLine(await RunAsync(n, r, s, rulesDir, Console.Error, ct).ConfigureAwait(false));
            return 0;
        });
        return cmd;
    }

    internal static async Task<string> RunAsync(int lines, int rate, int latencySeconds, string rulesDir, TextWriter log, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("siem-bench-pipeline-").FullName;
        try
        {
            var root = DemoPaths.RepoRoot();
            var clock = Stopwatch.StartNew();
            var pack = DemoPaths.PackFiles(root);
            var detector = SigmaDetector.Load([rulesDir, .. pack], DemoPaths.DefaultPipeline(root));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"rules: {detector.RuleCount} detection + {detector.CorrelationCount} correlation rules from {rulesDir} and {pack.Count} pack files in {clock.Elapsed.TotalSeconds:0.0} s ({detector.Problems.Count} problems)"));

            await using var server = await LocalNatsServer.StartAsync(Path.Combine(dir, "nats"), cancellationToken: cancellationToken).ConfigureAwait(false);
            log.WriteLine($"nats-server pid {server.Pid} on {server.Url}");
            await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-engine" });
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var js = new NatsJSContext(connection);
            await EngineStreams.EnsureAsync(js, cancellationToken).ConfigureAwait(false);
            var engineKeys = EngineKeyRing.Open(dir, out _);
            var engineKey = engineKeys.Current;
            var registry = new AgentRegistry();
            // The engine role's key service: the agents' key checks get answered, as in production.
            await using var keyRequests = new AgentKeyResponder(connection, new AgentKeyAuthority(registry, () => engineKeys, TimeSpan.FromDays(1)));
            await keyRequests.StartAsync(cancellationToken).ConfigureAwait(false);

            log.WriteLine($"machine: {Environment.ProcessorCount} cores, load average {LoadAverage()} (wall-clock rates on a loaded machine understate; the CPU figures do not)");
            var (ceiling, ceilingCpu) = await CeilingAsync(js, engineKey, server.Pid, log, cancellationToken).ConfigureAwait(false);
            var (throughput, throughputCpu) = await ThroughputAsync(dir, server.Url, connection, engineKey, registry, detector, lines, server.Pid, log, cancellationToken).ConfigureAwait(false);
            var latency = await LatencyAsync(dir, server.Url, connection, engineKey, registry, detector, rate, latencySeconds, log, cancellationToken).ConfigureAwait(false);

            double ratio = throughput / ceiling;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"result: {throughput:0} events/s end to end = {ratio:P1} of the broker ceiling ({ceiling:0} events/s); p99 line-to-alert {latency:0} ms at {rate} events/s offered; load average now {LoadAverage()}"));
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"CPU cost: pipeline {throughputCpu * 1e6:0.0} µs/event vs broker publish {ceilingCpu * 1e6:0.00} µs/event (CPU-bound ratio {ceilingCpu / throughputCpu:P1}; on {Environment.ProcessorCount} idle cores ≈ {Environment.ProcessorCount / throughputCpu:0} events/s end to end)"));
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"events_per_sec\":{throughput:0},\"broker_ceiling_events_per_sec\":{ceiling:0},\"ratio\":{ratio:0.000},\"p99_latency_ms\":{latency:0}}}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
