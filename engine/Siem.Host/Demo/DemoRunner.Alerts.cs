using Siem.Engine.Channels;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Host.Server;

namespace Siem.Host.Demo;

/// <summary>Index selection (SQLite or Elasticsearch) and alert delivery to the channels configured in the environment.</summary>
internal sealed partial class DemoRunner
{
    private AlertDeliveryQueue? _delivery;

    private IIndexSink OpenIndex(string dataDir)
    {
        if (_o.ElasticsearchUrl is not { } url) return SqliteIndexSink.OpenWithShredding(dataDir);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"--elasticsearch '{url}' is not an http(s) URL");
        Err($"demo: indexing into Elasticsearch/OpenSearch at {uri.GetLeftPart(UriPartial.Authority)} (dead letters: {Path.Combine(dataDir, "es-dead-letter.jsonl")})");
        return ElasticsearchIndexSink.OpenWithShredding(new ElasticsearchOptions
        {
            Url = uri,
            Username = Environment.GetEnvironmentVariable("SIEM_ES_USERNAME"),
            Password = Environment.GetEnvironmentVariable("SIEM_ES_PASSWORD"),
            ApiKey = Environment.GetEnvironmentVariable("SIEM_ES_API_KEY"),
            DeadLetterPath = Path.Combine(dataDir, "es-dead-letter.jsonl"),
            Log = _err,
        }, dataDir);
    }

    /// <summary>The engine's delivery path: channels from SIEM_ALERT_CHANNELS_FILE or &lt;data&gt;/alert-channels.json, else the SIEM_* variables.</summary>
    private AlertDeliveryQueue? CreateDelivery(HttpClient http, string dataDir)
    {
        string file = Environment.GetEnvironmentVariable("SIEM_ALERT_CHANNELS_FILE") is { Length: > 0 } f ? f : Path.Combine(dataDir, "alert-channels.json");
        return AlertDeliveryFactory.Create(File.Exists(file) ? file : null, dataDir, http, 10_000, m => Err($"demo: {m}"));
    }

    private async Task DrainDeliveriesAsync()
    {
        if (_delivery is not { } d) return;
        await d.DrainAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false);
        Err($"demo: alert deliveries: {d.Dispatcher.Delivered} delivered, {d.Dispatcher.DeadLettered} dead-lettered, {d.Dispatcher.Retries} retries");
    }
}
