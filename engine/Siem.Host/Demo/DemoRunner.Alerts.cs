using System.Collections.Concurrent;
using Siem.Engine.Alerts;
using Siem.Engine.Channels;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;

namespace Siem.Host.Demo;

/// <summary>Index selection (SQLite or Elasticsearch) and alert delivery to the channels configured in the environment.</summary>
internal sealed partial class DemoRunner
{
    private AlertDispatcher? _dispatcher;
    private readonly ConcurrentBag<Task> _deliveries = [];

    private IIndexSink OpenIndex(string dataDir)
    {
        if (_o.ElasticsearchUrl is not { } url) return SqliteIndexSink.Open(dataDir);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"--elasticsearch '{url}' is not an http(s) URL");
        Err($"demo: indexing into Elasticsearch/OpenSearch at {uri.GetLeftPart(UriPartial.Authority)} (dead letters: {Path.Combine(dataDir, "es-dead-letter.jsonl")})");
        return new ElasticsearchIndexSink(new ElasticsearchOptions
        {
            Url = uri,
            Username = Environment.GetEnvironmentVariable("SIEM_ES_USERNAME"),
            Password = Environment.GetEnvironmentVariable("SIEM_ES_PASSWORD"),
            ApiKey = Environment.GetEnvironmentVariable("SIEM_ES_API_KEY"),
            DeadLetterPath = Path.Combine(dataDir, "es-dead-letter.jsonl"),
            Log = _err,
        });
    }

    private AlertDispatcher? CreateDispatcher(HttpClient http, string dataDir)
    {
        string file = Environment.GetEnvironmentVariable("SIEM_ALERT_CHANNELS_FILE") is { Length: > 0 } f ? f : Path.Combine(dataDir, "alert-channels.json");
        var channels = File.Exists(file)
            ? AlertChannelFile.Load(file, Environment.GetEnvironmentVariable, http)
            : AlertChannelConfig.FromEnvironment(Environment.GetEnvironmentVariable, http);
        if (channels.Count == 0) return null;
        Err($"demo: alert channels: {string.Join(", ", channels.Select(c => c.Channel.Name + (c.Route.MinLevel is { } l ? $" (>= {l})" : "")))}; delivery log {Path.Combine(dataDir, "alert-deliveries.jsonl")}");
        return new AlertDispatcher(channels, new AlertDispatchOptions
        {
            DeadLetterPath = Path.Combine(dataDir, "alert-dead-letter.jsonl"),
            DeliveryLogPath = Path.Combine(dataDir, "alert-deliveries.jsonl"),
        }, m => Err($"alerts: {m}"));
    }

    /// <summary>Delivers a new alert in the background; the printing and the pipeline do not wait for slow channels.</summary>
    private void Dispatch(AlertDocument alert)
    {
        if (_dispatcher is { } d) _deliveries.Add(Task.Run(() => d.DispatchAsync(alert)));
    }

    private async Task DrainDeliveriesAsync()
    {
        if (_dispatcher is not { } d) return;
        await Task.WhenAll(_deliveries).ConfigureAwait(false);
        Err($"demo: alert deliveries: {d.Delivered} delivered, {d.DeadLettered} dead-lettered, {d.Retries} retries");
    }
}
