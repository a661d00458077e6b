using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Siem.Testing;

namespace Siem.Resilience.Tests.Faults;

/// <summary>
/// A real HTTP peer on 127.0.0.1 answering like an Elasticsearch node (documented <c>_bulk</c> response shapes) that
/// can be switched into a 429 storm: while <see cref="Storming"/>, a bulk request is refused as a whole
/// (<c>es_rejected_execution_exception</c>) or item by item (seeded choice). Accepted documents are kept by <c>_id</c>,
/// with how many times each id was written.
/// </summary>
internal sealed class StormingElasticsearchPeer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Random _rng = new(429);
    private long _refused;

    public Uri Url { get; }
    public volatile bool Storming;
    /// <summary>_id → event.original of every accepted document.</summary>
    public ConcurrentDictionary<string, string> Documents { get; } = new(StringComparer.Ordinal);
    /// <summary>Bulk requests or items answered 429.</summary>
    public long Refused => Interlocked.Read(ref _refused);

    public StormingElasticsearchPeer()
    {
        Url = new Uri($"http://127.0.0.1:{NatsServer.FreePort()}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            string body = await reader.ReadToEndAsync();
            var (status, answer) = ctx.Request.Url!.AbsolutePath.EndsWith("/_bulk", StringComparison.Ordinal) ? Bulk(body) : (200, "{\"acknowledged\":true}");
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer));
            ctx.Response.Close();
        }
    }

    private (int, string) Bulk(string ndjson)
    {
        bool wholeRequest;
        lock (_rng) wholeRequest = _rng.Next(2) == 0;
        if (Storming && wholeRequest)
        {
            Interlocked.Increment(ref _refused);
            return (429, "{\"error\":{\"root_cause\":[{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation\"}],\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation\"},\"status\":429}");
        }
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var items = new List<string>();
        for (int i = 0; i + 1 < lines.Length; i += 2)
        {
            using var action = JsonDocument.Parse(lines[i]);
            var meta = action.RootElement.GetProperty("index");
            string index = meta.GetProperty("_index").GetString()!, id = meta.GetProperty("_id").GetString()!;
            if (Storming)
            {
                Interlocked.Increment(ref _refused);
                items.Add($"{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{id}\",\"status\":429,\"error\":{{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation\"}}}}}}");
                continue;
            }
            using var doc = JsonDocument.Parse(lines[i + 1]);
            string original = doc.RootElement.TryGetProperty("event.original", out var o) ? o.GetString() ?? "" : "";
            bool created = Documents.TryAdd(id, original);
            if (!created) Documents[id] = original;
            items.Add($"{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{id}\",\"_version\":1,\"result\":\"{(created ? "created" : "updated")}\",\"_shards\":{{\"total\":2,\"successful\":1,\"failed\":0}},\"status\":{(created ? 201 : 200)}}}}}");
        }
        bool errors = items.Any(x => x.Contains("\"status\":429", StringComparison.Ordinal));
        return (200, $"{{\"took\":3,\"errors\":{(errors ? "true" : "false")},\"items\":[{string.Join(',', items)}]}}");
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
