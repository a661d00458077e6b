using System.Collections.Concurrent;
using System.Net;
using System.Text;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>
/// A real HTTP peer on 127.0.0.1 standing in for an Elasticsearch/OpenSearch node: records every request and answers
/// with a handler that follows the documented response shapes (tests script per-item failures and 429s).
/// </summary>
internal sealed class ElasticsearchPeer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;
    private readonly Func<Request, int, (int Status, string Body)> _handler;
    private int _count;

    public sealed record Request(string Method, string Path, string Query, Dictionary<string, string> Headers, string Body);

    public ConcurrentQueue<Request> Requests { get; } = new();
    public Uri Url { get; }

    /// <param name="handler">(request, index of this request among those with the same path) → status and JSON body.</param>
    public ElasticsearchPeer(Func<Request, int, (int, string)> handler)
    {
        _handler = handler;
        int port = NatsServer.FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/");
        _listener.Prefixes.Add(Url.ToString());
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public IEnumerable<Request> On(string path) => Requests.Where(r => r.Path == path);

    private async Task LoopAsync()
    {
        var perPath = new ConcurrentDictionary<string, int>();
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var reader = new StreamReader(ctx.Request.InputStream, Encoding.UTF8);
            string body = await reader.ReadToEndAsync();
            var headers = ctx.Request.Headers.AllKeys.Where(k => k != null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            var req = new Request(ctx.Request.HttpMethod, Uri.UnescapeDataString(ctx.Request.Url!.AbsolutePath), ctx.Request.Url.Query, headers, body);
            Requests.Enqueue(req);
            Interlocked.Increment(ref _count);
            int n = perPath.AddOrUpdate(req.Path, 0, (_, v) => v + 1);
            var (status, answer) = _handler(req, n);
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer));
            ctx.Response.Close();
        }
    }

    /// <summary>A <c>_bulk</c> answer: one entry per action line in the request, status from <paramref name="statusOf"/> (by _id).</summary>
    public static string BulkAnswer(string ndjson, Func<string, int> statusOf)
    {
        var lines = ndjson.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var items = new List<string>();
        bool errors = false;
        for (int i = 0; i < lines.Length; i += 2)
        {
            using var action = System.Text.Json.JsonDocument.Parse(lines[i]);
            var meta = action.RootElement.GetProperty("index");
            string index = meta.GetProperty("_index").GetString()!, id = meta.GetProperty("_id").GetString()!;
            int status = statusOf(id);
            string detail = status switch
            {
                201 => "\"_version\":1,\"result\":\"created\",\"_shards\":{\"total\":2,\"successful\":1,\"failed\":0},\"_seq_no\":0,\"_primary_term\":1",
                429 => "\"error\":{\"type\":\"es_rejected_execution_exception\",\"reason\":\"rejected execution of coordinating operation\"}",
                400 => "\"error\":{\"type\":\"mapper_parsing_exception\",\"reason\":\"failed to parse field [source.port] of type [long] in document with id '" + id + "'\"}",
                _ => "\"error\":{\"type\":\"exception\",\"reason\":\"status " + status + "\"}",
            };
            errors |= status >= 300;
            items.Add($"{{\"index\":{{\"_index\":\"{index}\",\"_id\":\"{id}\",\"status\":{status},{detail}}}}}");
        }
        return $"{{\"took\":3,\"errors\":{(errors ? "true" : "false")},\"items\":[{string.Join(',', items)}]}}";
    }

    public void Dispose()
    {
        try
        {
            _listener.Stop();
            _listener.Close();
        }
        catch (HttpListenerException)
        {
            // The managed listener re-binds the port while removing its prefix; when another test has taken the freed
            // port meanwhile that throws "Address already in use" (seen in CI). The peer is closed either way.
        }
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
