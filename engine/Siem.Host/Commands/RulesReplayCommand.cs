using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Replay;
using Siem.Engine.Search;
using Siem.Lineage;
using Siem.Lineage.Shredding;
using Siem.Rules.Correlation;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem rules replay --rules DIR... [--from T] [--to T] [--data DIR | --es URL] [--json]</c>: runs detection and
/// correlation rules over the events in the SQLite index (or Elasticsearch/OpenSearch, paged with search_after) in
/// event-time order and records the alerts as backfill in the same index
/// (<c>backfill: true</c>, id <c>backfill-...</c>). Alerts go to stdout (readable or JSON lines), a progress bar and
/// the summary to stderr; with --json the last stdout line is the summary object. Crypto-shredded PII fields are
/// decrypted with the subject keys of the data dir (<c>lineage/keys.db</c>) so rules see what they saw live; values
/// whose key a purge destroyed stay unreadable and are counted (<c>fields_shredded</c>).
/// </summary>
internal static class RulesReplayCommand
{
    public static Command Create()
    {
        var rules = new Option<string[]>("--rules") { Description = "Sigma rule file or directory (repeatable)", Required = true };
        var from = new Option<string?>("--from") { Description = "Start of the range (ISO time, or relative like -24h)" };
        var to = new Option<string?>("--to") { Description = "End of the range, exclusive (ISO time, or relative, or now)" };
        var data = new Option<string>("--data") { Description = "Data directory holding index.db and the shredding keys (lineage/keys.db)", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var pipeline = new Option<string?>("--pipeline") { Description = "Field-mapping pipeline YAML for the rules" };
        var json = new Option<bool>("--json") { Description = "Print alerts and the summary as JSON lines" };
        var es = new Option<string?>("--es") { Description = "Replay the events in this Elasticsearch/OpenSearch URL and write the backfill alerts there (auth: SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY)" };
        var cmd = new Command("replay", "Run rules over stored history and record the alerts as backfill.");
        foreach (var o in new Option[] { rules, from, to, data, pipeline, json, es }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
            await RunAsync(pr.GetValue(rules)!, pr.GetValue(from), pr.GetValue(to), pr.GetValue(data)!, pr.GetValue(pipeline), pr.GetValue(json), Console.Out, Console.Error, ct, pr.GetValue(es)).ConfigureAwait(false));
        return cmd;
    }

    internal static async Task<int> RunAsync(IReadOnlyList<string> ruleDirs, string? fromText, string? toText, string dataDir, string? pipelinePath,
        bool json, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken, string? esUrl = null)
    {
        Uri? es = null;
        if (esUrl != null && (!Uri.TryCreate(esUrl, UriKind.Absolute, out es) || (es.Scheme != Uri.UriSchemeHttp && es.Scheme != Uri.UriSchemeHttps)))
        {
            await stderr.WriteLineAsync($"siem rules replay: --es '{esUrl}' is not an http(s) URL").ConfigureAwait(false);
            return 2;
        }
        if (es == null && !File.Exists(Path.Combine(dataDir, "index.db")))
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

        await using IIndexSink index = es != null ? OpenElasticsearch(es) : SqliteIndexSink.Open(dataDir);
        IReplaySource source = index is ElasticsearchIndexSink elastic ? new ElasticsearchReplaySource(elastic) : new SqliteReplaySource((SqliteIndexSink)index);
        // Shredded fields were stored under the data dir's subject keys (also for Elasticsearch: the server's data dir).
        using var subjectKeys = File.Exists(LineagePaths.KeyStore(dataDir)) ? SqliteSubjectKeyStore.Open(dataDir) : null;
        var protector = subjectKeys != null ? FieldProtector.Open(dataDir, subjectKeys) : null;
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
        ReplayResult result;
        try
        {
            result = await new RuleReplayer(source, index, detector) { Protector = protector }.RunAsync(from, to, Progress,
                a => stdout.WriteLine(json ? AlertJson.SerializeToString(a) : $"BACKFILL {a.Level.ToUpperInvariant(),-8} {a.Title} x{a.Count}  {string.Join(' ', a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"))}  at {AlertJson.FormatInstant(a.FirstSeen)}"),
                cancellationToken).ConfigureAwait(false);
            if (index is ElasticsearchIndexSink written) await written.RefreshAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ElasticsearchException or HttpRequestException)
        {
            if (drawn) await stderr.WriteLineAsync().ConfigureAwait(false);
            await stderr.WriteLineAsync($"siem rules replay: Elasticsearch at {es!.GetLeftPart(UriPartial.Authority)}: {ex.Message}").ConfigureAwait(false);
            return 1;
        }
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
                w.WriteNumber("fields_shredded", result.FieldsShredded);
                w.WriteNumber("fields_unreadable", result.FieldsUnreadable);
                w.WriteNumber("elapsed_sec", Math.Round(seconds, 2));
                w.WriteEndObject();
            }
            await stdout.WriteLineAsync(System.Text.Encoding.UTF8.GetString(buffer.ToArray())).ConfigureAwait(false);
        }
        if (protector == null) await stderr.WriteLineAsync($"replay: no shredding keys at {LineagePaths.KeyStore(dataDir)}: protected fields (if any) were read as stored").ConfigureAwait(false);
        if (result.FieldsShredded + result.FieldsUnreadable > 0)
            await stderr.WriteLineAsync($"replay: {result.FieldsShredded} protected field value(s) were shredded by purges and {result.FieldsUnreadable} did not decrypt; rules saw them as {SqliteIndexSink.ShreddedMarker} / {SqliteIndexSink.UnreadableMarker}").ConfigureAwait(false);
        await stderr.WriteLineAsync($"replay: {result.Events} events, {result.Alerts} backfill alert(s) recorded in {seconds:0.0} s; search them: ./siem search {(es != null ? "--es " + es.GetLeftPart(UriPartial.Authority) : "--data " + dataDir)} 'alert.id:backfill-*'").ConfigureAwait(false);
        return 0;
    }

    private static ElasticsearchIndexSink OpenElasticsearch(Uri url) => new(new ElasticsearchOptions
    {
        Url = url,
        Username = Environment.GetEnvironmentVariable("SIEM_ES_USERNAME"),
        Password = Environment.GetEnvironmentVariable("SIEM_ES_PASSWORD"),
        ApiKey = Environment.GetEnvironmentVariable("SIEM_ES_API_KEY"),
        MaxRetries = 3,
    });

    private static string Range(Instant? from, Instant? to) =>
        $"[{(from is { } f ? AlertJson.FormatInstant(f) : "beginning")}, {(to is { } t ? AlertJson.FormatInstant(t) : "end")})";
}
