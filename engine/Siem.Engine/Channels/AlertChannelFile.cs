using System.Text.Json;

namespace Siem.Engine.Channels;

/// <summary>
/// Channels and routes from a JSON file (<c>SIEM_ALERT_CHANNELS_FILE</c> or <c>&lt;data&gt;/alert-channels.json</c>):
/// <code>
/// {"channels": [
///   {"type": "slack", "name": "soc-slack", "url_env": "SIEM_SLACK_WEBHOOK_URL", "min_level": "medium"},
///   {"type": "pagerduty", "routing_key_env": "SIEM_PAGERDUTY_ROUTING_KEY", "min_level": "high", "tags": ["attack.t1110"]},
///   {"type": "webhook", "url": "https://soar.example/hook", "secret_env": "SIEM_WEBHOOK_SECRET", "rules": ["81e7a567-..."]},
///   {"type": "teams", "url_env": "SIEM_TEAMS_WEBHOOK_URL"},
///   {"type": "email", "host": "smtp.example", "port": 587, "starttls": true, "from": "siem@example", "to": ["soc@example"],
///    "username": "siem", "password_env": "SIEM_SMTP_PASSWORD"}]}
/// </code>
/// Secrets are named by environment variable (<c>*_env</c>) so the file can be shared; errors name the channel and key, never a value.
/// </summary>
public static class AlertChannelFile
{
    public static IReadOnlyList<(IAlertChannel Channel, AlertRoute Route)> Load(string path, Func<string, string?> env, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(http);
        using var doc = JsonDocument.Parse(File.ReadAllBytes(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (!doc.RootElement.TryGetProperty("channels", out var channels) || channels.ValueKind != JsonValueKind.Array)
            throw new FormatException($"{path}: expected an object with a \"channels\" array");
        var list = new List<(IAlertChannel, AlertRoute)>();
        int n = 0;
        foreach (var c in channels.EnumerateArray())
        {
            string type = Str(c, "type") ?? throw new FormatException($"{path}: channels[{n}]: \"type\" is missing (webhook, slack, teams, pagerduty, email)");
            string name = Str(c, "name") ?? type;
            string where = $"{path}: channel '{name}'";
            string? Secret(string key) => Str(c, key) ?? (Str(c, key + "_env") is { } v ? env(v) ?? throw new FormatException($"{where}: environment variable {v} ({key}_env) is not set") : null);
            string Need(string key) => Secret(key) ?? throw new FormatException($"{where}: \"{key}\" (or \"{key}_env\") is missing");
            Uri Url() => Uri.TryCreate(Need("url"), UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)
                ? u : throw new FormatException($"{where}: \"url\" is not an http(s) URL");
            IAlertChannel channel = type switch
            {
                "webhook" => new WebhookChannel(name, http, Url(), Secret("secret")),
                "slack" => new SlackChannel(name, http, Url()),
                "teams" => new TeamsChannel(name, http, Url()),
                "pagerduty" => new PagerDutyChannel(name, http, Need("routing_key"), Str(c, "url") is { } pd ? new Uri(pd) : null),
                "email" => new EmailChannel(name, new EmailOptions
                {
                    Host = Need("host"),
                    Port = c.TryGetProperty("port", out var p) ? p.GetInt32() : 25,
                    StartTls = c.TryGetProperty("starttls", out var t) && t.GetBoolean(),
                    Username = Str(c, "username"),
                    Password = Secret("password"),
                    From = Need("from"),
                    To = c.TryGetProperty("to", out var to) ? [.. to.EnumerateArray().Select(x => x.GetString() ?? "")] : [],
                }),
                _ => throw new FormatException($"{where}: unknown type '{type}' (webhook, slack, teams, pagerduty, email)"),
            };
            list.Add((channel, new AlertRoute { MinLevel = Str(c, "min_level"), TagPrefixes = Strings(c, "tags"), RuleIds = Strings(c, "rules") }));
            n++;
        }
        return list;
    }

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String && v.GetString() is { Length: > 0 } s ? s : null;

    private static string[] Strings(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.Array ? [.. v.EnumerateArray().Select(x => x.GetString() ?? "")] : [];
}
