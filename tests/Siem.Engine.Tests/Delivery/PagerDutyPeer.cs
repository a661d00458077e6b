using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using Siem.Testing;

namespace Siem.Engine.Tests.Delivery;

/// <summary>
/// A local PagerDuty Events API v2 endpoint (POST /v2/enqueue) that checks events the way the service documents them:
/// JSON body; routing_key (32 characters); event_action trigger|acknowledge|resolve; dedup_key at most 255 characters,
/// required for acknowledge/resolve; a trigger needs payload.summary (at most 1024), payload.source and payload.severity
/// (critical|error|warning|info). Valid → 202 {"status":"success","message":"Event processed","dedup_key":..};
/// invalid → 400 {"status":"invalid event","message":"Event object is invalid","errors":[..]}. It keeps the incidents'
/// state by dedup_key (triggered/resolved) like the service does.
/// </summary>
internal sealed class PagerDutyPeer : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Task _loop;

    public sealed record Event(string Action, string DedupKey, JsonElement Body, int Status);

    public ConcurrentQueue<Event> Events { get; } = new();
    public ConcurrentDictionary<string, string> Incidents { get; } = new(StringComparer.Ordinal);
    public Uri Url { get; }

    public PagerDutyPeer()
    {
        int port = NatsServer.FreePort();
        Url = new Uri($"http://127.0.0.1:{port}/v2/enqueue");
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
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
            using var body = new MemoryStream();
            await ctx.Request.InputStream.CopyToAsync(body);
            var (status, answer, evt) = Handle(ctx.Request, body.ToArray());
            if (evt != null) Events.Enqueue(evt with { Status = status });
            ctx.Response.StatusCode = status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.OutputStream.WriteAsync(Encoding.UTF8.GetBytes(answer));
            ctx.Response.Close();
        }
    }

    private (int Status, string Answer, Event? Evt) Handle(HttpListenerRequest request, byte[] body)
    {
        if (request.HttpMethod != "POST" || request.Url!.AbsolutePath != "/v2/enqueue") return (404, "{}", null);
        if (request.ContentType?.StartsWith("application/json", StringComparison.Ordinal) != true) return Invalid(null, "Content-Type must be application/json");
        JsonElement root;
        try { root = JsonDocument.Parse(body).RootElement.Clone(); }
        catch (JsonException) { return Invalid(null, "body is not JSON"); }
        var errors = new List<string>();
        string Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        if (Str(root, "routing_key").Length != 32) errors.Add("'routing_key' must be a 32-character integration key");
        string action = Str(root, "event_action");
        if (action is not ("trigger" or "acknowledge" or "resolve")) errors.Add("'event_action' must be trigger, acknowledge or resolve");
        string dedup = Str(root, "dedup_key");
        if (dedup.Length > 255) errors.Add("'dedup_key' is longer than 255 characters");
        if (action is "acknowledge" or "resolve" && dedup.Length == 0) errors.Add("'dedup_key' is required for " + action);
        if (action == "trigger")
        {
            if (!root.TryGetProperty("payload", out var p) || p.ValueKind != JsonValueKind.Object) errors.Add("'payload' is required for trigger");
            else
            {
                string summary = Str(p, "summary");
                if (summary.Length is 0 or > 1024) errors.Add("'payload.summary' is required (1-1024 characters)");
                if (Str(p, "source").Length == 0) errors.Add("'payload.source' is required");
                if (Str(p, "severity") is not ("critical" or "error" or "warning" or "info")) errors.Add("'payload.severity' must be critical, error, warning or info");
                if (p.TryGetProperty("timestamp", out var ts) && !DateTimeOffset.TryParse(ts.GetString(), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.None, out _))
                    errors.Add("'payload.timestamp' must be ISO 8601");
            }
        }
        var evt = new Event(action, dedup, root, 0);
        if (errors.Count > 0) return Invalid(evt, errors.ToArray());
        if (action == "trigger") Incidents[dedup] = "triggered";
        else if (Incidents.ContainsKey(dedup)) Incidents[dedup] = action == "resolve" ? "resolved" : "acknowledged";
        return (202, JsonSerializer.Serialize(new { status = "success", message = "Event processed", dedup_key = dedup }), evt);
    }

    private static (int, string, Event?) Invalid(Event? evt, params string[] errors) =>
        (400, JsonSerializer.Serialize(new { status = "invalid event", message = "Event object is invalid", errors }), evt);

    public void Dispose()
    {
        _listener.Stop();
        _listener.Close();
        try { _loop.Wait(TimeSpan.FromSeconds(5)); } catch (AggregateException) { }
    }
}
