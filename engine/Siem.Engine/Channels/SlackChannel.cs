using System.Text.Json;
using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// Slack incoming webhook (https://api.slack.com/messaging/webhooks): POST {"text": fallback, "blocks": [...]}.
/// Slack answers 200 "ok"; 400/403/404/410 (invalid_payload, action_prohibited, no_service, channel_is_archived)
/// are permanent, 429 and 5xx are retried. The webhook URL is a secret and never appears in messages.
/// </summary>
public sealed class SlackChannel : JsonWebhookChannel
{
    public SlackChannel(string name, HttpClient http, Uri url)
        : base(name, http, url)
    {
    }

    protected override byte[] BuildPayload(AlertDocument alert) => Payload(alert);

    protected override byte[] BuildUpdatePayload(AlertDocument alert) => Payload(alert, update: true);

    /// <param name="update">An update of an alert already posted: the text starts with "Update:" and gives the new count.</param>
    public static byte[] Payload(AlertDocument a, bool update = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        string level = a.Level.ToUpperInvariant();
        string group = string.Join(", ", a.GroupBy.Select(kv => $"{kv.Key}={kv.Value}"));
        string text = $"{(update ? "Update: " : "")}[{level}] {a.Title}{(group.Length > 0 ? " — " + group : "")} ({a.Count} event{(a.Count == 1 ? "" : "s")})";
        var details = new List<string>
        {
            $"*Rule:* {a.RuleId}",
            $"*Seen:* {AlertJson.FormatInstant(a.FirstSeen)} → {AlertJson.FormatInstant(a.LastSeen)} ({a.Count}×)",
        };
        details.AddRange(a.Fields.Select(kv => $"*{kv.Key}:* `{kv.Value}`"));
        if (a.Tags.Count > 0) details.Add($"*Tags:* {string.Join(", ", a.Tags)}");
        details.Add($"*Alert id:* {a.AlertId}");
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("text", text);
            w.WriteStartArray("blocks");
            w.WriteStartObject();
            w.WriteString("type", "header");
            w.WriteStartObject("text");
            w.WriteString("type", "plain_text");
            w.WriteString("text", Truncate($"{(update ? "Update: " : "")}[{level}] {a.Title}", 150));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "section");
            w.WriteStartObject("text");
            w.WriteString("type", "mrkdwn");
            w.WriteString("text", Truncate(string.Join("\n", details), 3000));
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..(max - 1)] + "…";
}
