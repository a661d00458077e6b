using System.Net;
using System.Threading.Channels;
using Siem.Testing;

namespace Siem.Engine.Tests.Telemetry;

/// <summary>An OTLP/HTTP metrics receiver on a free loopback port: records every POST (path, content type, body) and
/// answers 200 with an empty ExportMetricsServiceResponse, as an OpenTelemetry Collector does.</summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Channel<(string Path, string? ContentType, byte[] Body)> _requests = Channel.CreateUnbounded<(string, string?, byte[])>();
    private readonly Task _loop;

    public OtlpReceiver()
    {
        Port = NatsServer.FreePort();
        _listener.Prefixes.Add($"http://127.0.0.1:{Port}/");
        _listener.Start();
        _loop = Task.Run(LoopAsync);
    }

    public int Port { get; }
    public string BaseUrl => $"http://127.0.0.1:{Port}";
    public ChannelReader<(string Path, string? ContentType, byte[] Body)> Requests => _requests.Reader;

    private async Task LoopAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }
            using var body = new MemoryStream();
            await context.Request.InputStream.CopyToAsync(body);
            _requests.Writer.TryWrite((context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.Close();
        }
    }

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        _loop.Wait(TimeSpan.FromSeconds(5));
    }
}
