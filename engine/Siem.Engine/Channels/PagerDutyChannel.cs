using System.Text.Json;
using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// PagerDuty Events API v2 (POST https://events.pagerduty.com/v2/enqueue): <c>routing_key</c>, <c>event_action</c>
/// trigger or resolve, <c>dedup_key</c> = alert id (repeats folded into the same alert re-trigger the same incident), and a payload
/// with summary, source, severity (critical/error/warning/info), timestamp, component, group, class and custom_details.
/// PagerDuty answers 202; 400 is permanent, 429 and 5xx are retried. The routing key is a secret and never logged.
/// </summary>
public sealed class PagerDutyChannel : IResolvableAlertChannel
{
    public static readonly Uri DefaultUrl = new("https://events.pagerduty.com/v2/enqueue");

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly string _routingKey;

    public PagerDutyChannel(string name, HttpClient http, string routingKey, Uri? url = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(routingKey);
        Name = name;
        _http = http ?? throw new ArgumentNullException(nameof(http));
        _routingKey = routingKey;
        _url = url ?? DefaultUrl;
    }

    public string Name { get; }

    public Task DeliverAsync(AlertDocument alert, CancellationToken cancellationToken = default) => SendAsync(alert, "trigger", cancellationToken);

    /// <summary>A count update is a new trigger with the same dedup_key: PagerDuty appends it to the open incident's log with the updated details.</summary>
    public Task DeliverUpdateAsync(AlertDocument alert, CancellationToken cancellationToken = default) => SendAsync(alert, "trigger", cancellationToken);

    /// <summary>Resolves the incident opened for <paramref name="alert"/> (same dedup_key).</summary>
    public Task ResolveAsync(AlertDocument alert, CancellationToken cancellationToken = default) => SendAsync(alert, "resolve", cancellationToken);

    private Task SendAsync(AlertDocument alert, string action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return HttpDelivery.PostJsonAsync(_http, Name, _url, Payload(alert, _routingKey, action), null, cancellationToken);
    }

    /// <summary>Sigma level → PagerDuty severity.</summary>
    public static string Severity(string level) => level.ToLowerInvariant() switch
    {
        "critical" => "critical",
        "high" => "error",
        "medium" => "warning",
        _ => "info",
    };

    public static byte[] Payload(AlertDocument a, string routingKey, string action)
    {
        ArgumentNullException.ThrowIfNull(a);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("routing_key", routingKey);
            w.WriteString("event_action", action);
            w.WriteString("dedup_key", a.AlertId);
            if (action == "trigger")
            {
                string group = string.Join(", ", a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"));
                string summary = $"[{a.Level.ToUpperInvariant()}] {a.Title}{(group.Length > 0 ? " — " + group : "")} ({a.Count}×)";
                w.WriteStartObject("payload");
                w.WriteString("summary", summary.Length <= 1024 ? summary : summary[..1023] + "…");
                w.WriteString("source", a.Fields.TryGetValue("host.name", out var host) ? host : "siem");
                w.WriteString("severity", Severity(a.Level));
                w.WriteString("timestamp", AlertJson.FormatInstant(a.FirstSeen));
                w.WriteString("component", a.RuleId);
                w.WriteString("class", a.Kind);
                if (a.Tags.Count > 0) w.WriteString("group", string.Join(",", a.Tags));
                w.WriteStartObject("custom_details");
                w.WriteString("rule_id", a.RuleId);
                w.WriteNumber("count", a.Count);
                w.WriteString("last_seen", AlertJson.FormatInstant(a.LastSeen));
                foreach (var kv in a.GroupBy) w.WriteString(kv.Key, kv.Value);
                foreach (var kv in a.Fields.Where(f => !a.GroupBy.ContainsKey(f.Key))) w.WriteString(kv.Key, kv.Value);
                w.WriteEndObject();
                w.WriteEndObject();
                w.WriteString("client", "siem");
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
