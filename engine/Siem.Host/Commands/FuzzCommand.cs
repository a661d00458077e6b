using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Siem.Host.Fuzz;

namespace Siem.Host.Commands;

/// <summary><c>siem fuzz TARGET|all --seconds N [--seed S] [--out DIR] [--json]</c>: seeded fuzzing of the parsers, the Sigma loader and the envelope decoder.</summary>
internal static class FuzzCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("target") { Description = $"What to fuzz: {string.Join(", ", FuzzTargets.Names)} or all" };
        var seconds = new Option<int>("--seconds") { Description = "Time budget per target", DefaultValueFactory = _ => 30 };
        var seed = new Option<int?>("--seed") { Description = "Random seed (default: from the clock, printed so a finding can be replayed)" };
        var output = new Option<string>("--out") { Description = "Where findings' inputs are written", DefaultValueFactory = _ => Path.Combine(".siem", "fuzz") };
        var hang = new Option<int>("--hang-seconds") { Description = "One input taking longer than this is reported as a hang", DefaultValueFactory = _ => 10 };
        var json = new Option<bool>("--json") { Description = "End with one JSON line: {\"targets\":..,\"iterations\":..,\"findings\":..}" };
        var cmd = new Command("fuzz", "Fuzz the syslog/auditd/JSON parsers, the Sigma loader and the envelope decoder with seeded mutations; exit 1 on a finding.")
        {
            target, seconds, seed, output, hang, json,
        };
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            string name = pr.GetValue(target)!;
            var names = name == "all" ? FuzzTargets.Names : [name];
            if (name != "all" && !FuzzTargets.Names.Contains(name))
            {
                Console.Error.WriteLine($"siem fuzz: unknown target '{name}' (known: {string.Join(", ", FuzzTargets.Names)}, all)");
                return 2;
            }
            int secs = pr.GetValue(seconds);
            if (secs <= 0)
            {
                Console.Error.WriteLine($"siem fuzz: --seconds must be positive, got {secs}");
                return 2;
            }
            int baseSeed = pr.GetValue(seed) ?? Environment.TickCount & 0x7fffffff;
            string outDir = Path.GetFullPath(pr.GetValue(output)!);
            long totalIterations = 0, totalFindings = 0;
            foreach (var n in names)
            {
                var report = await FuzzRunner.RunAsync(FuzzTargets.Create(n), baseSeed, long.MaxValue, TimeSpan.FromSeconds(secs), TimeSpan.FromSeconds(pr.GetValue(hang)), cancellationToken: ct);
                totalIterations += report.Iterations;
                totalFindings += report.Findings.Count;
                Print(report, outDir);
                if (report.Hung) break; // the hung thread still runs; the process exits after the summary
            }
            if (pr.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["targets"] = names.Count,
                    ["seed"] = baseSeed,
                    ["iterations"] = totalIterations,
                    ["findings"] = totalFindings,
                }));
            }
            return totalFindings == 0 ? 0 : 1;
        });
        return cmd;
    }

    private static void Print(FuzzReport report, string outDir)
    {
        var counters = string.Join(", ", report.Counters.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"fuzz {report.Target}: seed {report.Seed}, {report.Iterations} inputs in {report.Elapsed.TotalSeconds:0.0} s, {report.Findings.Count} finding(s); {counters}"));
        if (report.Findings.Count == 0) return;
        Directory.CreateDirectory(outDir);
        int i = 0;
        foreach (var f in report.Findings)
        {
            string file = Path.Combine(outDir, string.Create(CultureInfo.InvariantCulture, $"{report.Target}-seed{report.Seed}-{++i}.txt"));
            File.WriteAllText(file, f.Input, new UTF8Encoding(false));
            Console.Error.WriteLine($"  {f}\n  input saved to {file}");
        }
    }
}
