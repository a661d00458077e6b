using System.CommandLine;
using NodaTime;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Search;

namespace Siem.Host.Commands;

/// <summary><c>siem search [--data DIR | --es URL] QUERY [--from T] [--to T] [--json] [--limit N]</c> over indexed events and alerts.</summary>
internal static class SearchCommand
{
    public static Command Create()
    {
        var query = new Argument<string>("query")
        {
            Description = "field:value (exact, case-insensitive, * wildcard), \"quoted phrase\", words, AND/OR/NOT, -term, ( ); * = everything",
        };
        var data = new Option<string>("--data") { Description = "Data directory holding index.db", DefaultValueFactory = _ => Path.Combine(".siem", "data") };
        var from = new Option<string?>("--from") { Description = "Start (inclusive): ISO-8601 (2026-11-22T03:00:00Z) or relative (-1h, -30m, -7d)" };
        var to = new Option<string?>("--to") { Description = "End (exclusive): ISO-8601 or relative" };
        var json = new Option<bool>("--json") { Description = "One JSON object per line" };
        var limit = new Option<int>("--limit") { Description = "Maximum hits, newest first", DefaultValueFactory = _ => 100 };
        var es = new Option<string?>("--es") { Description = "Search this Elasticsearch/OpenSearch URL instead of the SQLite index (auth: SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY)" };
        var cmd = new Command("search", "Search indexed events and alerts.");
        cmd.Arguments.Add(query);
        foreach (var o in new Option[] { data, from, to, json, limit, es }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            string dir = pr.GetValue(data)!;
            string text = pr.GetValue(query)!;
            string? esUrl = pr.GetValue(es);
            if (esUrl != null && (!Uri.TryCreate(esUrl, UriKind.Absolute, out var esUri) || (esUri.Scheme != Uri.UriSchemeHttp && esUri.Scheme != Uri.UriSchemeHttps)))
            {
                await Console.Error.WriteLineAsync($"siem search: --es '{esUrl}' is not an http(s) URL").ConfigureAwait(false);
                return 2;
            }
            if (esUrl == null && !File.Exists(Path.Combine(dir, "index.db")))
            {
                await Console.Error.WriteLineAsync($"siem search: no index at {Path.GetFullPath(Path.Combine(dir, "index.db"))}; run `./siem demo --data {dir}` first or pass --data DIR").ConfigureAwait(false);
                return 1;
            }
            SearchRequest request;
            try
            {
                var now = SystemClock.Instance.GetCurrentInstant();
                request = new SearchRequest
                {
                    Query = SearchQueryParser.Parse(text),
                    From = pr.GetValue(from) is { } f ? TimeExpression.Parse(f, now) : null,
                    To = pr.GetValue(to) is { } t ? TimeExpression.Parse(t, now) : null,
                    Limit = Math.Max(1, pr.GetValue(limit)),
                };
            }
            catch (SearchQueryException ex)
            {
                await Console.Error.WriteLineAsync($"siem search: {ex.Message}\n  {text}\n  {new string(' ', Math.Max(0, ex.Position - 1))}^").ConfigureAwait(false);
                return 2;
            }
            catch (FormatException ex)
            {
                await Console.Error.WriteLineAsync($"siem search: {ex.Message}").ConfigureAwait(false);
                return 2;
            }
            // An index written with crypto-shredding (its key store exists) is searched through the blind index and decrypted.
            await using var sink = esUrl != null ? OpenElasticsearch(new Uri(esUrl), File.Exists(Siem.Lineage.LineagePaths.KeyStore(dir)) ? dir : null)
                : File.Exists(Siem.Lineage.LineagePaths.KeyStore(dir)) ? SqliteIndexSink.OpenWithShredding(dir) : SqliteIndexSink.Open(dir);
            IReadOnlyList<SearchHit> hits;
            try
            {
                hits = await sink.SearchAsync(request, ct).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ElasticsearchException or HttpRequestException or SearchQueryException)
            {
                await Console.Error.WriteLineAsync($"siem search: {ex.Message}").ConfigureAwait(false);
                return 1;
            }
            bool asJson = pr.GetValue(json);
            foreach (var h in hits)
            {
                Console.Out.WriteLine(asJson ? SearchOutput.ToJsonLine(h) : SearchOutput.ToText(h));
            }
            if (!asJson)
            {
                long total = await sink.CountAsync(request, ct).ConfigureAwait(false);
                await Console.Error.WriteLineAsync($"{hits.Count} shown of {total} matching (newest first; --limit N for more)").ConfigureAwait(false);
            }
            return 0;
        });
        return cmd;
    }

    /// <summary>The cluster; with <paramref name="keysDataDir"/> (a data dir holding the subject keys), protected fields
    /// are searched through their blind index and shown decrypted.</summary>
    private static IIndexSink OpenElasticsearch(Uri url, string? keysDataDir)
    {
        var options = new ElasticsearchOptions
        {
            Url = url,
            Username = Environment.GetEnvironmentVariable("SIEM_ES_USERNAME"),
            Password = Environment.GetEnvironmentVariable("SIEM_ES_PASSWORD"),
            ApiKey = Environment.GetEnvironmentVariable("SIEM_ES_API_KEY"),
            MaxRetries = 2,
        };
        return keysDataDir == null ? new ElasticsearchIndexSink(options) : ElasticsearchIndexSink.OpenWithShredding(options, keysDataDir);
    }
}
