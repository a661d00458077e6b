using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Replay;
using Siem.Engine.Search;
using Siem.Rules.Correlation;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem rules replay --rules DIR... [--from T] [--to T] [--data DIR] [--json]</c>: runs detection and correlation
/// rules over the events in the SQLite index in event-time order and records the alerts as backfill
/// (<c>backfill: true</c>, id <c>backfill-...</c>). Alerts go to stdout (readable or JSON lines), a progress bar and
/// the summary to stderr; with --json the last stdout line is the summary object.
/// </summary>
internal static class RulesReplayCommand
{
    public static Command Create()
    {
        var rules = new Option<string[]>("--rules") { Description = "Sigma rule file or directory (repeatable)", Required = true };
        var from = new Option<string?>("--from") { Description = "Start of the range (ISO time, or relative like -24h)" };
        var to = new Option<string?>("--to") { Description = "End of the range, exclusive (ISO time, or relative, or now)" };
        var data = new Option<string>("--data") { Description = "Data directory holding index.db", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var pipeline = new Option<string?>("--pipeline") { Description = "Field-mapping pipeline YAML for the rules" };
        var json = new Option<bool>("--json") { Description = "Print alerts and the summary as JSON lines" };
        var cmd = new Command("replay", "Run rules over stored history and record the alerts as backfill.");
        foreach (var o in new Option[] { rules, from, to, data, pipeline, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
            await RunAsync(pr.GetValue(rules)!, pr.GetValue(from), pr.GetValue(to), pr.GetValue(data)!, pr.GetValue(pipeline), pr.GetValue(json), Console.Out, Console.Error, ct).ConfigureAwait(false));
        return cmd;
    }

    internal static async Task<int> RunAsync(IReadOnlyList<string> ruleDirs, string? fromText, string? toText, string dataDir, string? pipelinePath,
        bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(dataDir, "index.db")))
        {
            await stderr.WriteLineAsync($"siem rules replay: no index at {Path.GetFullPath(Path.Combine(dataDir, "index.db"))}; pass --data DIR").ConfigureAwait(false);
            return 1;
        }
        foreach (var missing in ruleDirs.Where(d => !Directory.Exists(d) && !File.Exists(d)))
        {
            await stderr.WriteLineAsync($"siem rules replay: rules path '{missing}' does not exist").ConfigureAwait(false);
            return 1;
        }
        Instant? from, to;
        try
        {
            var now = SystemClock.Instance.GetCurrentInstant();
            from = fromText is { } f ? TimeExpression.Parse(f, now) : null;
            to = toText is { } t ? TimeExpression.Parse(t, now) : null;
        }
        catch (FormatException ex)
        {
            await stderr.WriteLineAsync($"siem rules replay: {ex.Message}").ConfigureAwait(false);
            return 2;
        }
        // History is read in event-time order, so correlation needs no lateness allowance beyond the default.
        var detector = SigmaDetector.Load(ruleDirs, pipelinePath, CorrelationOptions.Default);
        foreach (var p in detector.Problems) await stderr.WriteLineAsync($"siem rules replay: skipped: {p}").ConfigureAwait(false);
        await stderr.WriteLineAsync($"replay: {detector.RuleCount} detection and {detector.CorrelationCount} correlation rules over {Range(from, to)}").ConfigureAwait(false);

        await using var index = SqliteIndexSink.Open(dataDir);
        var clock = Stopwatch.StartNew();
        long lastDraw = -1000;
        bool drawn = false;
        void Progress(long done, long total)
        {
            if (clock.ElapsedMilliseconds - lastDraw < 200 && done < total) return;
            lastDraw = clock.ElapsedMilliseconds;
            double fraction = total == 0 ? 1 : (double)done / total;
            int filled = (int)(fraction * 30);
            stderr.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {fraction:P0} {done}/{total} events");
            drawn = true;
        }
        var result = await new RuleReplayer(index, detector).RunAsync(from, to, Progress,
            a => stdout.WriteLine(json ? AlertJson.SerializeToString(a) : $"BACKFILL {a.Level.ToUpperInvariant(),-8} {a.Title} x{a.Count}  {string.Join(' ', a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"))}  at {AlertJson.FormatInstant(a.FirstSeen)}"),
            cancellationToken).ConfigureAwait(false);
        if (drawn) await stderr.WriteLineAsync().ConfigureAwait(false);
        double seconds = Math.Max(clock.Elapsed.TotalSeconds, 0.001);
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteNumber("events_replayed", result.Events);
                w.WriteNumber("alerts", result.Alerts);
                w.WriteStartObject("alerts_by_rule");
                foreach (var kv in result.AlertsByRule.OrderBy(k => k.Key, StringComparer.Ordinal)) w.WriteNumber(kv.Key, kv.Value);
                w.WriteEndObject();
                w.WriteNumber("elapsed_sec", Math.Round(seconds, 2));
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
        }
        await stderr.WriteLineAsync($"replay: {result.Events} events, {result.Alerts} backfill alert(s) recorded in {seconds:0.0} s; search them: ./siem search --data {dataDir} 'alert.id:backfill-*'").ConfigureAwait(false);
        return 0;
    }

    private static string Range(Instant? from, Instant? to) =>
        $"[{(from is { } f ? AlertJson.FormatInstant(f) : "beginning")}, {(to is { } t ? AlertJson.FormatInstant(t) : "end")})";
}
