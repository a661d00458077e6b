using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Channels;

namespace Siem.Engine.Tests;

public sealed class ChannelProviderTests : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-chan2-").FullName;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(20));

    public void Dispose()
    {
        _http.Dispose();
        _timeout.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly AlertDocument Alert = new()
    {
        AlertId = "abc123", RuleId = "ssh-brute-force", Title = "SSH Brute Force From One Source", Level = "high", Kind = "correlation",
        Tags = ["attack.t1110.001"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "203.0.113.45" },
        Fields = new Dictionary<string, string> { ["user.name"] = "root", ["host.name"] = "web01" },
        RecordIds = ["r1"], Count = 30,
        FirstSeen = Instant.FromUtc(2026, 11, 22, 2, 10), LastSeen = Instant.FromUtc(2026, 11, 22, 2, 11, 30),
    };

    private static AlertDispatchOptions Fast(string dir) => new()
    {
        MaxAttempts = 3, BaseDelay = TimeSpan.FromMilliseconds(10), MaxDelay = TimeSpan.FromMilliseconds(50),
        DeadLetterPath = Path.Combine(dir, "dead.jsonl"), DeliveryLogPath = Path.Combine(dir, "deliveries.jsonl"),
    };

    [Fact]
    public async Task PagerDuty_trigger_and_resolve_follow_events_api_v2_with_the_alert_id_as_dedup_key()
    {
        using var receiver = new HttpReceiver(202, 202);
        var channel = new PagerDutyChannel("pagerduty", _http, "R0UTINGKEY0123456789abcdef012345", receiver.Url);

        await channel.DeliverAsync(Alert, _timeout.Token);
        await channel.ResolveAsync(Alert, _timeout.Token);

        var reqs = receiver.Requests.ToList();
        Assert.Equal("application/json", reqs[0].Headers["Content-Type"]);
        Assert.Equal(
            "{\"routing_key\":\"R0UTINGKEY0123456789abcdef012345\",\"event_action\":\"trigger\",\"dedup_key\":\"abc123\",\"payload\":{"
            + "\"summary\":\"[HIGH] SSH Brute Force From One Source \\u2014 source.ip=203.0.113.45 (30\\u00D7)\",\"source\":\"web01\",\"severity\":\"error\","
            + "\"timestamp\":\"2026-11-22T02:10:00Z\",\"component\":\"ssh-brute-force\",\"class\":\"correlation\",\"group\":\"attack.t1110.001\","
            + "\"custom_details\":{\"rule_id\":\"ssh-brute-force\",\"count\":30,\"last_seen\":\"2026-11-22T02:11:30Z\",\"source.ip\":\"203.0.113.45\",\"user.name\":\"root\",\"host.name\":\"web01\"}},"
            + "\"client\":\"siem\"}",
            System.Text.Encoding.UTF8.GetString(reqs[0].Body));
        Assert.Equal("{\"routing_key\":\"R0UTINGKEY0123456789abcdef012345\",\"event_action\":\"resolve\",\"dedup_key\":\"abc123\"}", System.Text.Encoding.UTF8.GetString(reqs[1].Body));
        Assert.Equal(["critical", "error", "warning", "info", "info"], new[] { "critical", "high", "medium", "low", "informational" }.Select(PagerDutyChannel.Severity));
    }

    [Fact]
    public async Task Teams_gets_a_message_with_one_adaptive_card_holding_the_facts()
    {
        using var receiver = new HttpReceiver();
        await new TeamsChannel("teams", _http, receiver.Url).DeliverAsync(Alert, _timeout.Token);

        using var doc = JsonDocument.Parse(Assert.Single(receiver.Requests).Body);
        Assert.Equal("message", doc.RootElement.GetProperty("type").GetString());
        var attachment = Assert.Single(doc.RootElement.GetProperty("attachments").EnumerateArray());
        Assert.Equal("application/vnd.microsoft.card.adaptive", attachment.GetProperty("contentType").GetString());
        var card = attachment.GetProperty("content");
        Assert.Equal("AdaptiveCard", card.GetProperty("type").GetString());
        Assert.Equal("1.4", card.GetProperty("version").GetString());
        var body = card.GetProperty("body");
        Assert.Equal("[HIGH] SSH Brute Force From One Source", body[0].GetProperty("text").GetString());
        var facts = body[1].GetProperty("facts").EnumerateArray().Select(f => $"{f.GetProperty("title").GetString()}={f.GetProperty("value").GetString()}");
        Assert.Equal(["Rule=ssh-brute-force", "Level=high", "Count=30", "First seen=2026-11-22T02:10:00Z", "Last seen=2026-11-22T02:11:30Z",
            "source.ip=203.0.113.45", "user.name=root", "host.name=web01", "Tags=attack.t1110.001"], facts);
        Assert.Equal("Alert id: abc123", body[2].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Email_is_submitted_over_smtp_with_subject_recipients_and_details()
    {
        using var smtp = new ChannelSmtpServer();
        var channel = new EmailChannel("email", new EmailOptions { Host = "127.0.0.1", Port = smtp.Port, From = "siem@example.org", To = ["soc@example.org", "oncall@example.org"] });

        await channel.DeliverAsync(Alert, _timeout.Token);
        await smtp.QuitReceived.WaitAsync(_timeout.Token);

        var mail = Assert.Single(smtp.Messages);
        Assert.Equal("siem@example.org", mail.From);
        Assert.Equal(["soc@example.org", "oncall@example.org"], mail.To);
        Assert.Contains("Subject: [SIEM HIGH] SSH Brute Force From One Source\r\n", mail.Data);
        Assert.Contains("X-Siem-Alert-Id: abc123\r\n", mail.Data);
        Assert.Contains("Content-Transfer-Encoding: quoted-printable\r\n", mail.Data);
        string body = QuotedPrintable(mail.Data[(mail.Data.IndexOf("\r\n\r\n", StringComparison.Ordinal) + 4)..]);
        Assert.StartsWith("SSH Brute Force From One Source\r\n\r\nLevel:      high\r\nRule:       ssh-brute-force (correlation)\r\nCount:      30\r\n", body);
        Assert.Contains("source.ip: 203.0.113.45\r\nuser.name: root\r\nhost.name: web01\r\n", body);
        Assert.Contains("Alert id: abc123", body);
        Assert.Contains(smtp.Commands, c => c.StartsWith("EHLO ", StringComparison.Ordinal));
        Assert.Equal("QUIT", smtp.Commands.Last());
    }

    private static string QuotedPrintable(string s)
    {
        var bytes = new List<byte>();
        s = s.Replace("=\r\n", "", StringComparison.Ordinal);
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == '=' && i + 2 < s.Length) { bytes.Add(Convert.ToByte(s.Substring(i + 1, 2), 16)); i += 2; }
            else bytes.Add((byte)s[i]);
        }
        return System.Text.Encoding.UTF8.GetString([.. bytes]);
    }

    [Fact]
    public async Task A_refused_recipient_is_a_permanent_failure_dead_lettered_after_one_attempt_and_logged()
    {
        using var smtp = new ChannelSmtpServer("550 5.1.1 no such user");
        var channel = new EmailChannel("email", new EmailOptions { Host = "127.0.0.1", Port = smtp.Port, From = "siem@example.org", To = ["nobody@example.org"] });
        var options = Fast(_dir);
        var dispatcher = new AlertDispatcher([(channel, AlertRoute.All)], options);

        var outcome = Assert.Single(await dispatcher.DispatchAsync(Alert, _timeout.Token));

        Assert.False(outcome.Delivered);
        Assert.Equal(1, outcome.Attempts);
        Assert.Empty(smtp.Messages);
        Assert.Equal(1, dispatcher.DeadLettered);
        using var log = JsonDocument.Parse(Assert.Single(File.ReadAllLines(options.DeliveryLogPath!)));
        Assert.Equal("email", log.RootElement.GetProperty("channel").GetString());
        Assert.False(log.RootElement.GetProperty("delivered").GetBoolean());
        Assert.Contains("SMTP 550", log.RootElement.GetProperty("error").GetString());
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(options.DeliveryLogPath!));
    }

    [Fact]
    public async Task Channels_come_from_the_environment_pagerduty_gets_high_only_and_the_delivery_log_has_no_secrets()
    {
        using var hook = new HttpReceiver(503);
        using var pd = new HttpReceiver(202);
        var env = new Dictionary<string, string>
        {
            ["SIEM_WEBHOOK_URL"] = hook.Url.ToString(), ["SIEM_WEBHOOK_SECRET"] = "hmac-secret-value",
            ["SIEM_PAGERDUTY_ROUTING_KEY"] = "pd-routing-key-secret", ["SIEM_PAGERDUTY_URL"] = pd.Url.ToString(),
        };
        var channels = AlertChannelConfig.FromEnvironment(n => env.GetValueOrDefault(n), _http);
        var options = Fast(_dir);
        var dispatcher = new AlertDispatcher(channels, options);

        var high = await dispatcher.DispatchAsync(Alert, _timeout.Token);
        var medium = await dispatcher.DispatchAsync(Alert with { AlertId = "m1", Level = "medium" }, _timeout.Token);

        Assert.Equal(["webhook", "pagerduty"], channels.Select(c => c.Channel.Name));
        Assert.Equal([("webhook", true, 2), ("pagerduty", true, 1)], high.Select(o => (o.Channel, o.Delivered, o.Attempts)));
        Assert.Equal(["webhook"], medium.Select(o => o.Channel));
        Assert.Single(pd.Requests);
        var log = File.ReadAllText(options.DeliveryLogPath!);
        Assert.Equal(3, log.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("secret", log);
        Assert.DoesNotContain("SECRETPATH", log);
        var bad = Assert.Throws<ArgumentException>(() => AlertChannelConfig.FromEnvironment(n => n == "SIEM_SMTP_HOST" ? "mail" : null, _http));
        Assert.Equal("SIEM_SMTP_HOST is set but SIEM_SMTP_FROM (sender address) is not", bad.Message);
    }

    [Fact]
    public async Task A_channel_file_routes_by_tag_and_rule_and_takes_secrets_from_named_environment_variables()
    {
        using var slack = new HttpReceiver();
        using var hook = new HttpReceiver();
        string file = Path.Combine(_dir, "alert-channels.json");
        File.WriteAllText(file, $$"""
            {"channels": [
              // brute force only
              {"type": "slack", "name": "soc-slack", "url_env": "MY_SLACK", "tags": ["attack.t1110"]},
              {"type": "webhook", "url": "{{hook.Url}}", "secret_env": "MY_SECRET", "rules": ["other-rule"]},
            ]}
            """);
        var env = new Dictionary<string, string> { ["MY_SLACK"] = slack.Url.ToString(), ["MY_SECRET"] = "s3cret" };
        var channels = AlertChannelFile.Load(file, n => env.GetValueOrDefault(n), _http);
        var dispatcher = new AlertDispatcher(channels, Fast(_dir));

        var brute = await dispatcher.DispatchAsync(Alert, _timeout.Token);
        var other = await dispatcher.DispatchAsync(Alert with { AlertId = "o1", RuleId = "other-rule", Tags = [] }, _timeout.Token);

        Assert.Equal(["soc-slack"], brute.Select(o => o.Channel));
        Assert.Equal(["webhook"], other.Select(o => o.Channel));
        Assert.True(Assert.Single(hook.Requests).Headers.ContainsKey(WebhookChannel.SignatureHeader));
        Assert.Single(slack.Requests);
        env.Remove("MY_SLACK");
        var ex = Assert.Throws<FormatException>(() => AlertChannelFile.Load(file, n => env.GetValueOrDefault(n), _http));
        Assert.Equal($"{file}: channel 'soc-slack': environment variable MY_SLACK (url_env) is not set", ex.Message);
    }
}
