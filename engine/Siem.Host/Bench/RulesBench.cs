using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Siem.Core.Events;
using Siem.Rules;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench rules</c>: single-thread Sigma evaluation throughput. Loads and compiles the whole SigmaHQ corpus,
/// reads the OTRF Windows JSON datasets into events once, then evaluates them repeatedly until about
/// <c>--evaluations</c> events were matched. Prints figures, never asserts.
/// </summary>
internal static class RulesBench
{
    public static Command CreateCommand()
    {
        var rules = new Option<string?>("--rules") { Description = "Rule directory (default: ../shared/testdata/sigma/rules next to the repository)." };
        var events = new Option<string?>("--events") { Description = "Directory of JSON-lines event files (default: ../shared/testdata/otrf)." };
        var evaluations = new Option<int>("--evaluations") { Description = "Events to evaluate in total.", DefaultValueFactory = _ => 2_000_000 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result object." };
        var profile = new Option<bool>("--profile") { Description = "Also print the costliest events and rules (for tuning the evaluator)." };
        var cmd = new Command("rules", "Sigma detection throughput: the whole corpus over the OTRF Windows datasets, one thread.");
        cmd.Options.Add(rules);
        cmd.Options.Add(events);
        cmd.Options.Add(evaluations);
        cmd.Options.Add(json);
        cmd.Options.Add(profile);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var testData = FindTestData();
            var rulesDir = pr.GetValue(rules) ?? Path.Combine(testData ?? ".", "sigma", "rules");
            var eventsDir = pr.GetValue(events) ?? Path.Combine(testData ?? ".", "otrf");
            if (!Directory.Exists(rulesDir) || !Directory.Exists(eventsDir))
            {
                Console.Error.WriteLine($"bench rules: need a rules directory ({rulesDir}) and an events directory ({eventsDir}); pass --rules/--events");
                return Task.FromResult(2);
            }
            if (pr.GetValue(profile))
            {
                Profile(rulesDir, eventsDir);
            }
            var result = Run(rulesDir, eventsDir, Math.Max(1, pr.GetValue(evaluations)), pr.GetValue(json) ? null : Console.Out, ct);
            Console.WriteLine(result);
            return Task.FromResult(0);
        });
        return cmd;
    }

    internal static string Run(string rulesDir, string eventsDir, int evaluations, TextWriter? progress, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        var set = RuleLoader.Load([rulesDir]);
        var loadMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var compiled = CompiledRuleSet.Compile(set);
        var compileMs = sw.Elapsed.TotalMilliseconds;
        progress?.WriteLine($"loaded {set.Rules.Count}/{set.TotalDocuments} rule documents in {loadMs:F0} ms, compiled {compiled.RuleCount} in {compileMs:F0} ms");

        var data = ReadEvents(eventsDir);
        progress?.WriteLine($"{data.Count} events from {eventsDir}");
        if (data.Count == 0)
        {
            return "{\"error\":\"no events\"}";
        }
        var matches = new List<SigmaRule>();
        foreach (var e in data)
        {
            // Warm-up: JIT, candidate caches, regex automata.
            compiled.Match(e, matches);
        }
        matches.Clear();
        long total = 0, matched = 0;
        var allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        sw.Restart();
        while (total < evaluations && !ct.IsCancellationRequested)
        {
            foreach (var e in data)
            {
                compiled.Match(e, matches);
                matched += matches.Count;
                matches.Clear();
            }
            total += data.Count;
        }
        var seconds = sw.Elapsed.TotalSeconds;
        var cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalSeconds;
        var allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["rules"] = compiled.RuleCount,
            ["events"] = total,
            ["events_per_sec"] = Math.Round(total / seconds),
            // CPU time of the process while matching: on a busy shared machine wall time overstates the cost.
            ["events_per_cpu_sec"] = Math.Round(total / Math.Max(cpuSeconds, 1e-9)),
            ["matches"] = matched,
            ["load_ms"] = Math.Round(loadMs),
            ["compile_ms"] = Math.Round(compileMs),
            ["failed"] = set.Errors.Count + compiled.CompileErrors.Count,
            ["distinct_events"] = data.Count,
            ["bytes_allocated_per_event"] = Math.Round((double)allocated / total, 2),
        });
    }

    internal static void ProfileMain(string rulesDir, string eventsDir) => Profile(rulesDir, eventsDir);

    private static void Profile(string rulesDir, string eventsDir)
    {
        var compiled = CompiledRuleSet.Compile(RuleLoader.Load([rulesDir]));
        var data = ReadEvents(eventsDir);
        var perEvent = new List<(LogEvent Event, int Candidates, double Us, IReadOnlyList<(SigmaRule Rule, double Us)> Rules)>();
        foreach (var e in data)
        {
            compiled.ProfileCandidates(e, 2);
            var rules = compiled.ProfileCandidates(e, 10);
            perEvent.Add((e, rules.Count, rules.Sum(r => r.Us), rules));
        }
        var total = perEvent.Sum(p => p.Us);
        var matches = new List<SigmaRule>();
        double whole = 0;
        foreach (var e in data)
        {
            var best = double.MaxValue;
            for (var batch = 0; batch < 5; batch++)
            {
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < 10; i++)
                {
                    compiled.Match(e, matches);
                    matches.Clear();
                }
                best = Math.Min(best, sw.Elapsed.TotalMicroseconds / 10);
            }
            whole += best;
        }
        var overhead = data.Select(e => compiled.ProfileOverhead(e, 20)).ToList();
        Console.WriteLine($"profile: load+candidates {overhead.Average(o => o.LoadUs):F1} us/event, keyword + field-literal scans {overhead.Average(o => o.KeywordUs):F1} us/event");
        Console.WriteLine($"profile: {total / data.Count:F1} us/event on average over {data.Count} events in evaluating the rules that pass the literal prefilter, {whole / data.Count:F1} us/event for the whole Match (best of 5 batches)");
        foreach (var g in perEvent.GroupBy(p => $"{p.Event.Get("Channel")}/{p.Event.Get("EventID")}").OrderByDescending(g => g.Sum(p => p.Us)).Take(12))
        {
            Console.WriteLine($"  {g.Key}: {g.Count()} events, {g.Average(p => p.Candidates):F0} candidates, {g.Average(p => p.Us):F1} us/event, {100 * g.Sum(p => p.Us) / total:F1}% of time");
        }
        foreach (var r in perEvent.SelectMany(p => p.Rules).GroupBy(r => r.Rule).Select(g => (g.Key, Us: g.Sum(x => x.Us))).OrderByDescending(x => x.Us).Take(15))
        {
            Console.WriteLine($"  rule {r.Key.Id} {r.Key.Title}: {100 * r.Us / total:F1}% of time");
        }
    }

    /// <summary>JSON lines with flat fields (the OTRF layout); values are kept as strings, as the agent stores them.</summary>
    private static List<LogEvent> ReadEvents(string dir)
    {
        var list = new List<LogEvent>();
        foreach (var file in Directory.GetFiles(dir, "*.json").Order(StringComparer.Ordinal))
        {
            var n = 0;
            foreach (var line in File.ReadLines(file))
            {
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }
                using var doc = JsonDocument.Parse(line);
                if (doc.RootElement.ValueKind != JsonValueKind.Object)
                {
                    continue;
                }
                var e = new LogEvent { RecordId = string.Create(CultureInfo.InvariantCulture, $"{Path.GetFileName(file)}:{++n}"), Original = line };
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    switch (p.Value.ValueKind)
                    {
                        case JsonValueKind.String:
                            e.Set(p.Name, p.Value.GetString()!);
                            break;
                        case JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False:
                            e.Set(p.Name, p.Value.GetRawText());
                            break;
                    }
                }
                list.Add(e);
            }
        }
        return list;
    }

    internal static string? FindTestData()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "testdata");
                if (File.Exists(Path.Combine(dir.FullName, "Siem.sln")) && Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }
        return null;
    }
}
