using System.Text.Json;
using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>
/// Microsoft Teams incoming webhook (Workflows or the classic connector): POST a message with one Adaptive Card
/// attachment (<c>application/vnd.microsoft.card.adaptive</c>, schema 1.4) — a title, a fact set with the rule, level,
/// count, times, group-by values and key fields, and the alert id. 4xx is permanent, 429 and 5xx retried.
/// The webhook URL is a secret and never logged.
/// </summary>
public sealed class TeamsChannel : JsonWebhookChannel
{
    public TeamsChannel(string name, HttpClient http, Uri url)
        : base(name, http, url)
    {
    }

    protected override byte[] BuildPayload(AlertDocument alert) => Payload(alert);

    protected override byte[] BuildUpdatePayload(AlertDocument alert) => Payload(alert, update: true);

    /// <param name="update">An update of an alert already posted: the title starts with "Update:".</param>
    public static byte[] Payload(AlertDocument a, bool update = false)
    {
        ArgumentNullException.ThrowIfNull(a);
        var facts = new List<(string, string)>
        {
            ("Rule", a.RuleId), ("Level", a.Level), ("Count", a.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ("First seen", AlertJson.FormatInstant(a.FirstSeen)), ("Last seen", AlertJson.FormatInstant(a.LastSeen)),
        };
        facts.AddRange(a.GroupBy.Select(kv => (kv.Key, kv.Value)));
        facts.AddRange(a.Fields.Where(f => !a.GroupBy.ContainsKey(f.Key)).Select(kv => (kv.Key, kv.Value)));
        if (a.Tags.Count > 0) facts.Add(("Tags", string.Join(", ", a.Tags)));
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("type", "message");
            w.WriteStartArray("attachments");
            w.WriteStartObject();
            w.WriteString("contentType", "application/vnd.microsoft.card.adaptive");
            w.WriteNull("contentUrl");
            w.WriteStartObject("content");
            w.WriteString("$schema", "http://adaptivecards.io/schemas/adaptive-card.json");
            w.WriteString("type", "AdaptiveCard");
            w.WriteString("version", "1.4");
            w.WriteStartArray("body");
            w.WriteStartObject();
            w.WriteString("type", "TextBlock");
            w.WriteString("text", $"{(update ? "Update: " : "")}[{a.Level.ToUpperInvariant()}] {a.Title}");
            w.WriteString("weight", "Bolder");
            w.WriteString("size", "Medium");
            w.WriteString("color", AlertRoute.Rank(a.Level) >= 3 ? "Attention" : "Warning");
            w.WriteBoolean("wrap", true);
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "FactSet");
            w.WriteStartArray("facts");
            foreach (var (title, value) in facts)
            {
                w.WriteStartObject();
                w.WriteString("title", title);
                w.WriteString("value", value);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString("type", "TextBlock");
            w.WriteString("text", "Alert id: " + a.AlertId);
            w.WriteBoolean("isSubtle", true);
            w.WriteString("size", "Small");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }
}
