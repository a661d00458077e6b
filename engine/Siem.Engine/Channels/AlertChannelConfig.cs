using System.Globalization;

namespace Siem.Engine.Channels;

/// <summary>
/// Builds the alert channels from environment variables (secrets stay out of command lines and files in the repo):
/// <list type="bullet">
/// <item><c>SIEM_WEBHOOK_URL</c> [+ <c>SIEM_WEBHOOK_SECRET</c> for the HMAC signature] — generic webhook, every alert;</item>
/// <item><c>SIEM_SLACK_WEBHOOK_URL</c> — Slack, every alert;</item>
/// <item><c>SIEM_TEAMS_WEBHOOK_URL</c> — Microsoft Teams, every alert;</item>
/// <item><c>SIEM_PAGERDUTY_ROUTING_KEY</c> [+ <c>SIEM_PAGERDUTY_URL</c>] — PagerDuty, level ≥ <c>SIEM_PAGERDUTY_MIN_LEVEL</c> (default high);</item>
/// <item><c>SIEM_SMTP_HOST</c>, <c>SIEM_SMTP_FROM</c>, <c>SIEM_SMTP_TO</c> (comma-separated) [+ <c>SIEM_SMTP_PORT</c> (25),
/// <c>SIEM_SMTP_STARTTLS</c> (true/false), <c>SIEM_SMTP_USERNAME</c>, <c>SIEM_SMTP_PASSWORD</c>] — email, level ≥ <c>SIEM_SMTP_MIN_LEVEL</c> (default high).</item>
/// </list>
/// <c>SIEM_ALERT_MIN_LEVEL</c> raises the floor for every channel. Names in errors are variable names, never values.
/// </summary>
public static class AlertChannelConfig
{
    public static IReadOnlyList<(IAlertChannel Channel, AlertRoute Route)> FromEnvironment(Func<string, string?> env, HttpClient http)
    {
        ArgumentNullException.ThrowIfNull(env);
        ArgumentNullException.ThrowIfNull(http);
        string? Get(string name) => env(name) is { Length: > 0 } v ? v.Trim() : null;
        string? floor = Get("SIEM_ALERT_MIN_LEVEL");
        AlertRoute Route(string? min) => new() { MinLevel = Max(floor, min) };
        var list = new List<(IAlertChannel, AlertRoute)>();
        if (Get("SIEM_WEBHOOK_URL") is { } webhook)
            list.Add((new WebhookChannel("webhook", http, Url(webhook, "SIEM_WEBHOOK_URL"), Get("SIEM_WEBHOOK_SECRET")), Route(null)));
        if (Get("SIEM_SLACK_WEBHOOK_URL") is { } slack)
            list.Add((new SlackChannel("slack", http, Url(slack, "SIEM_SLACK_WEBHOOK_URL")), Route(null)));
        if (Get("SIEM_TEAMS_WEBHOOK_URL") is { } teams)
            list.Add((new TeamsChannel("teams", http, Url(teams, "SIEM_TEAMS_WEBHOOK_URL")), Route(null)));
        if (Get("SIEM_PAGERDUTY_ROUTING_KEY") is { } key)
        {
            var url = Get("SIEM_PAGERDUTY_URL") is { } u ? Url(u, "SIEM_PAGERDUTY_URL") : null;
            list.Add((new PagerDutyChannel("pagerduty", http, key, url), Route(Get("SIEM_PAGERDUTY_MIN_LEVEL") ?? "high")));
        }
        if (Get("SIEM_SMTP_HOST") is { } host)
        {
            var options = new EmailOptions
            {
                Host = host,
                Port = Get("SIEM_SMTP_PORT") is { } p ? Port(p) : 25,
                StartTls = Get("SIEM_SMTP_STARTTLS") is { } tls && bool.Parse(tls),
                Username = Get("SIEM_SMTP_USERNAME"),
                Password = Get("SIEM_SMTP_PASSWORD"),
                From = Get("SIEM_SMTP_FROM") ?? throw new ArgumentException("SIEM_SMTP_HOST is set but SIEM_SMTP_FROM (sender address) is not"),
                To = Get("SIEM_SMTP_TO")?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                    ?? throw new ArgumentException("SIEM_SMTP_HOST is set but SIEM_SMTP_TO (comma-separated recipients) is not"),
            };
            list.Add((new EmailChannel("email", options), Route(Get("SIEM_SMTP_MIN_LEVEL") ?? "high")));
        }
        return list;
    }

    private static string? Max(string? a, string? b) =>
        a == null ? b : b == null ? a : AlertRoute.Rank(a) >= AlertRoute.Rank(b) ? a : b;

    private static Uri Url(string value, string variable) =>
        Uri.TryCreate(value, UriKind.Absolute, out var u) && (u.Scheme == Uri.UriSchemeHttps || u.Scheme == Uri.UriSchemeHttp)
            ? u
            : throw new ArgumentException($"{variable} is not an http(s) URL");

    private static int Port(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int p) && p is > 0 and < 65536
            ? p
            : throw new ArgumentException("SIEM_SMTP_PORT is not a port number (1-65535)");
}
