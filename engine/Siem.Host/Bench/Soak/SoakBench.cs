using System.CommandLine;
using System.Globalization;
using Siem.Host.Demo;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// <c>siem bench soak --minutes M --rate R [--agents N] [--json]</c>: agents and the engine at a fixed offered rate;
/// prints a sample every 5 s, writes samples.csv, report.json and soak.png to the report folder, and ends with one
/// JSON line {offered, indexed, lost, duplicates, p99_latency_ms, rss_growth_pct}. Figures, never assertions.
/// </summary>
internal static class SoakBench
{
    public static Command CreateCommand()
    {
        var minutes = new Option<double>("--minutes") { Description = "Length of the load phase", DefaultValueFactory = _ => 2 };
        var rate = new Option<int>("--rate") { Description = "Offered lines per second (all agents together)", DefaultValueFactory = _ => 5000 };
        var agents = new Option<int>("--agents") { Description = "siem-agent processes", DefaultValueFactory = _ => 2 };
        var warmup = new Option<double?>("--warmup-seconds") { Description = "RSS growth is measured from the end of the warm-up (default: a quarter of the run, at most 60 s)" };
        var report = new Option<string?>("--report") { Description = "Report folder (default .siem/soak/<UTC time>)" };
        var keep = new Option<bool>("--keep") { Description = "Keep the work dir (index, agent state, nats store)" };
        var json = new Option<bool>("--json") { Description = "Samples go to stderr; stdout gets only the final JSON line" };
        var cmd = new Command("soak", "Soak: real siem-agent processes + the engine at a fixed rate; throughput, lag, latency, RSS over time; lost/duplicates by line; PNG plot.")
        {
            minutes, rate, agents, warmup, report, keep, json,
        };
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            double m = pr.GetValue(minutes);
            int r = pr.GetValue(rate), n = pr.GetValue(agents);
            if (m <= 0 || r <= 0 || n <= 0)
            {
                Console.Error.WriteLine($"bench soak: --minutes, --rate and --agents must be positive (got {m}, {r}, {n})");
                return 2;
            }
            var log = pr.GetValue(json) ? Console.Error : Console.Out;
            if (!await NatsServerInstaller.EnsureAsync(Console.Error, ct).ConfigureAwait(false)) return 1;
            string dir = Path.GetFullPath(pr.GetValue(report) ?? Path.Combine(".siem", "soak", DateTime.UtcNow.ToString("yyyyMMdd-HHmmss", CultureInfo.InvariantCulture)));
            var options = new SoakOptions
            {
                Duration = TimeSpan.FromMinutes(m),
                Rate = r,
                Agents = n,
                Warmup = pr.GetValue(warmup) is { } w ? TimeSpan.FromSeconds(w) : null,
                ReportDir = dir,
                KeepWorkDir = pr.GetValue(keep),
            };
            var result = await new SoakRun(options, log).RunAsync(ct).ConfigureAwait(false);
            result.WriteReport(dir);
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"soak: offered {result.Offered}, indexed {result.Indexed} distinct lines, lost {result.Lost}, duplicates {result.Duplicates}, latency p50 {result.P50LatencyMs} ms p99 {result.P99LatencyMs} ms; " +
                $"RSS growth after a {result.WarmupSeconds:0} s warm-up: {string.Join(", ", result.RssGrowthByProcess.Select(g => $"{g.Key} {g.Value:0.0}%"))}; peak RSS: {string.Join(", ", result.PeakRssByProcess.Select(p => $"{p.Key} {p.Value / 1048576.0:0} MB"))}"));
            if (!result.Drained)
                log.WriteLine($"soak: NOT DRAINED — the engine did not catch up within twice the run; 'lost' counts {result.Lost} lines not indexed yet (still in JetStream or the agents), not proven lost");
            log.WriteLine($"soak: report in {dir} (soak.png, samples.csv, report.json)");
            Console.Out.WriteLine(result.SummaryJson());
            return result.Drained ? 0 : 1;
        });
        return cmd;
    }
}
