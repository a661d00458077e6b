using System.Collections.Concurrent;
using System.Net;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>A real HTTP endpoint on 127.0.0.1 that records requests and answers with scripted status codes.</summary>
internal sealed class HttpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<int> _script;
    private readonly Task _loop;

    /// <summary>One request as received, and the status it was answered with.</summary>
    public sealed record Request(string Path, Dictionary<string, string> Headers, byte[] Body, int Status);

    public ConcurrentQueue<Request> Requests { get; } = new();
    public Uri Url { get; }

    /// <param name="statuses">Status per request in order; after the script, 200.</param>
    public HttpReceiver(params int[] statuses)
    {
        int port = NatsServer.FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/hooks/T000/SECRETPATH");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _script = new ConcurrentQueue<int>(statuses);
        _loop = Task.Run(LoopAsync);
    }

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext ctx;
            try { ctx = await _listener.GetContextAsync(); }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException) { return; }
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            var headers = ctx.Request.Headers.AllKeys.Where(k => k != null).ToDictionary(k => k!, k => ctx.Request.Headers[k]!, StringComparer.OrdinalIgnoreCase);
            int status = _script.TryDequeue(out var s) ? s : 200;
            Requests.Enqueue(new Request(ctx.Request.Url!.AbsolutePath, headers, body.ToArray(), status));
            ctx.Response.StatusCode = status;
            var answer = System.Text.Encoding.UTF8.GetBytes(status == 200 ? "ok" : status == 400 ? "invalid_payload" : "try later");
            await ctx.Response.OutputStream.WriteAsync(answer);
            ctx.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
