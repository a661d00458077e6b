using Siem.Engine.Channels;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Host.Server;

namespace Siem.Host.Demo;

/// <summary>Index selection (SQLite or Elasticsearch) and alert delivery to the channels configured in the environment.</summary>
internal sealed partial class DemoRunner
{
    private DurableAlertDelivery? _delivery;

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
    private DurableAlertDelivery? CreateDelivery(HttpClient http, string dataDir, Siem.Nats.NatsConnection nats)
    {
        string file = Environment.GetEnvironmentVariable("SIEM_ALERT_CHANNELS_FILE") is { Length: > 0 } f ? f : Path.Combine(dataDir, "alert-channels.json");
        return AlertDeliveryFactory.Create(File.Exists(file) ? file : null, dataDir, http, nats, DurableDeliveryOptions.Default, m => Err($"demo: {m}"));
    }

    /// <summary>Waits (up to a minute) until the channels took every alert; what is left stays in the stream for the next run.</summary>
    private async Task DrainDeliveriesAsync()
    {
        if (_delivery is not { } d) return;
        if (!await d.WaitIdleAsync(TimeSpan.FromSeconds(60)).ConfigureAwait(false))
            Err("demo: some alerts were not delivered within 60 s; they stay in the alerts stream and are delivered on the next run");
        Err($"demo: alert deliveries: {d.Dispatcher.Delivered} delivered, {d.Dispatcher.DeadLettered} dead-lettered, {d.Dispatcher.Retries} retries");
        await d.DisposeAsync().ConfigureAwait(false);
    }
}
