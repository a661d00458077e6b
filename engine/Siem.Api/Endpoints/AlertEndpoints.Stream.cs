using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Triage;

namespace Siem.Api.Endpoints;

internal static partial class AlertEndpoints
{
    internal static TimeSpan Heartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Server-sent events. Each alert is one <c>event: alert</c> with the alert JSON (as in the list) and <c>"new"</c>;
    /// a comment line every 15 s keeps proxies from closing an idle stream; <c>event: dropped</c> says how many alerts this
    /// watcher missed because it fell behind (they are in the index: reload the list).
    /// </summary>
    private static async Task StreamAsync(HttpContext http, ApiBackends backends, TriageStore triage, CancellationToken cancellationToken)
    {
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var json = new JsonSerializerOptions { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
        using var watcher = backends.Alerts.Watch();
        await WriteAsync(http, ": connected\n\n", cancellationToken);
        long reportedDrops = 0;
        try
        {
            while (true)
            {
                using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                wait.CancelAfter(Heartbeat);
                bool more;
                try
                {
                    more = await watcher.Reader.WaitToReadAsync(wait.Token);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await WriteAsync(http, ": keep-alive\n\n", cancellationToken);
                    continue;
                }
                if (!more) break;
                var text = new StringBuilder();
                while (watcher.Reader.TryRead(out var live))
                {
                    var body = new LiveAlertMessage(ApiJson.Alert(live.Alert, triage.Get(live.Alert.AlertId)), live.IsNew);
                    text.Append("event: alert\ndata: ").Append(JsonSerializer.Serialize(body, json)).Append("\n\n");
                }
                long drops = watcher.Dropped;
                if (drops > reportedDrops)
                {
                    text.Append("event: dropped\ndata: {\"dropped\":").Append(drops - reportedDrops).Append("}\n\n");
                    reportedDrops = drops;
                }
                await WriteAsync(http, text.ToString(), cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The browser went away.
        }
    }

    private static async Task WriteAsync(HttpContext http, string text, CancellationToken cancellationToken)
    {
        await http.Response.Body.WriteAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await http.Response.Body.FlushAsync(cancellationToken);
    }
}
