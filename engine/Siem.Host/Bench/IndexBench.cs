using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Host.Demo;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench index</c>: the SQLite index sink alone, fed what the engine feeds it in <c>bench pipeline</c>'s throughput
/// phase — the same generated auth.log lines parsed into events, our pack's rules run over them and their hits folded
/// into alerts by the suppressor as the pipeline folds them, one <see cref="IIndexSink.WriteAsync"/> per group of
/// <c>--group</c> events with that group's new and updated alerts. Only the writes are timed: CPU time of the process
/// (all threads, so checkpoints and GC count) and wall time, per event. No NATS, no crypto, no detection in the figure.
/// </summary>
internal static class IndexBench
{
    public static Command CreateCommand()
    {
        var events = new Option<int>("--events") { Description = "Events written in the timed run.", DefaultValueFactory = _ => 50_000 };
        var group = new Option<int>("--group") { Description = "Events per write (one engine group: several JetStream messages of 500 records).", DefaultValueFactory = _ => 1000 };
        var shredding = new Option<bool>("--shredding") { Description = "Open the index with crypto-shredding (user.email sealed), as `siem serve` does." };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result on stdout (figures still go to stderr)." };
        var cmd = new Command("index", "The SQLite index sink alone: CPU µs per event for the pipeline's writes (events plus folded alert upserts).");
        foreach (var o in new Option[] { events, group, shredding, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int n = pr.GetValue(events), g = pr.GetValue(group);
            if (n < 1000 || g < 1)
            {
                Console.Error.WriteLine("bench index: --events must be >= 1000 and --group >= 1");
                return 2;
            }
            Console.WriteLine(await RunAsync(n, g, pr.GetValue(shredding), Console.Error, ct).ConfigureAwait(false));
            return 0;
        });
        return cmd;
    }

    internal static async Task<string> RunAsync(int events, int group, bool shredding, TextWriter log, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("siem-bench-index-").FullName;
        try
        {
            var root = DemoPaths.RepoRoot();
            var detector = SigmaDetector.Load(DemoPaths.PackFiles(root), DemoPaths.DefaultPipeline(root));
            // Warm-up run on its own index (20k events: enough writes for tiered JIT to settle), then the timed run on a fresh one.
            var warm = Workload(20_000, group, detector);
            var timed = Workload(events, group, SigmaDetector.Load(DemoPaths.PackFiles(root), DemoPaths.DefaultPipeline(root)));
            await WriteAllAsync(Path.Combine(dir, "warm"), warm, shredding, cancellationToken).ConfigureAwait(false);
            log.WriteLine($"index: warmed up; timed run of {events} events (pid {Environment.ProcessId})");
            var (cpu, wall, alertWrites) = await WriteAllAsync(Path.Combine(dir, "timed"), timed, shredding, cancellationToken).ConfigureAwait(false);
            long size = Directory.EnumerateFiles(Path.Combine(dir, "timed")).Sum(f => new FileInfo(f).Length);
            double cpuUs = cpu.TotalMicroseconds / events, wallUs = wall.TotalMicroseconds / events;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"index: {events} events in {timed.Count} writes of {group} with {alertWrites} alert upserts ({(double)alertWrites / events:0.00} per event){(shredding ? ", crypto-shredding on" : "")}: " +
                $"CPU {cpu.TotalSeconds:0.00} s = {cpuUs:0.0} µs/event, wall {wall.TotalSeconds:0.00} s = {wallUs:0.0} µs/event ({events / wall.TotalSeconds:0} events/s); files {size / 1e6:0.0} MB; load average {LoadAverage()} (wall-clock figures on a loaded machine understate; CPU does not)"));
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"events\":{events},\"alert_upserts\":{alertWrites},\"cpu_us_per_event\":{cpuUs:0.0},\"wall_us_per_event\":{wallUs:0.0},\"events_per_sec\":{events / wall.TotalSeconds:0}}}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    /// <summary>The writes the engine would make: groups of parsed events with the alerts their hits folded into.</summary>
    private static List<(List<LogEvent> Events, List<AlertDocument> Alerts)> Workload(int count, int group, IDetector detector)
    {
        var parser = new ParserPipeline(ParserOptions.Default with { AgentId = "bench-index" });
        var suppressor = new AlertSuppressor(Duration.FromMinutes(15));
        var writes = new List<(List<LogEvent>, List<AlertDocument>)>();
        var start = DateTime.UtcNow.AddHours(-2);
        var batch = new List<LogEvent>(group);
        var hits = new List<DetectionHit>();
        long offset = 0;
        for (int i = 0; i < count; i++)
        {
            var text = PipelineBench.Line(i, triggerEvery: 1000, start.AddMilliseconds(i * 10));
            parser.Parse(new RawLine("file", "auth.log", offset, offset + text.Length + 1, text, Path: "/var/log/auth.log"), batch);
            offset += text.Length + 1;
            if (batch.Count >= group || i == count - 1)
            {
                hits.Clear();
                foreach (var e in batch) detector.Detect(e, hits);
                // Folded as the pipeline folds a group: one document per alert id, its latest state.
                var byId = new Dictionary<string, AlertDocument>(StringComparer.Ordinal);
                foreach (var hit in hits)
                {
                    if (suppressor.Fold(hit, out _) is { } doc) byId[doc.AlertId] = doc;
                }
                writes.Add((batch, [.. byId.Values]));
                batch = new List<LogEvent>(group);
            }
        }
        return writes;
    }

    private static async Task<(TimeSpan Cpu, TimeSpan Wall, int AlertWrites)> WriteAllAsync(string indexDir, List<(List<LogEvent> Events, List<AlertDocument> Alerts)> writes, bool shredding, CancellationToken cancellationToken)
    {
        await using var sink = shredding ? SqliteIndexSink.OpenWithShredding(indexDir) : SqliteIndexSink.Open(indexDir);
        var process = Process.GetCurrentProcess();
        TimeSpan cpu = TimeSpan.Zero, wall = TimeSpan.Zero;
        int alertWrites = 0;
        foreach (var (events, alerts) in writes)
        {
            process.Refresh();
            var cpuBefore = process.TotalProcessorTime;
            long wallBefore = Stopwatch.GetTimestamp();
            await sink.WriteAsync(events, alerts, cancellationToken).ConfigureAwait(false);
            wall += Stopwatch.GetElapsedTime(wallBefore);
            process.Refresh();
            cpu += process.TotalProcessorTime - cpuBefore;
            alertWrites += alerts.Count;
        }
        return (cpu, wall, alertWrites);
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
