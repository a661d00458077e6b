using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Channels;

namespace Siem.Engine.Tests;

public sealed class AlertChannelTests : IDisposable
{
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-chan-").FullName;

    public void Dispose()
    {
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private static readonly AlertDocument Alert = new()
    {
        AlertId = "abc123", RuleId = "81e7a567-a87a-4a69-8c3a-cd004cd81081", Title = "SSH Brute Force From One Source", Level = "high",
        Tags = ["attack.credential-access", "attack.t1110.001"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "203.0.113.45" },
        Fields = new Dictionary<string, string> { ["user.name"] = "root", ["host.name"] = "web01" },
        RecordIds = ["r1", "r2"], Count = 30,
        FirstSeen = Instant.FromUtc(2026, 11, 22, 2, 10), LastSeen = Instant.FromUtc(2026, 11, 22, 2, 11, 30),
    };

    private static AlertDispatchOptions Fast(string? deadLetter = null) => new() { MaxAttempts = 4, BaseDelay = TimeSpan.FromMilliseconds(20), MaxDelay = TimeSpan.FromMilliseconds(100), DeadLetterPath = deadLetter };

    [Fact]
    public async Task Webhook_posts_the_alert_json_signed_with_an_hmac_the_receiver_can_verify()
    {
        using var receiver = new HttpReceiver();
        var time = new FixedTime(DateTimeOffset.FromUnixTimeSeconds(1795315800));
        var channel = new WebhookChannel("soc-webhook", _http, receiver.Url, secret: "s3cret", time: time);

        await channel.DeliverAsync(Alert);

        var req = Assert.Single(receiver.Requests);
        Assert.Equal("application/json", req.Headers["Content-Type"]);
        Assert.Equal("1795315800", req.Headers[WebhookChannel.TimestampHeader]);
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes("s3cret"), Encoding.UTF8.GetBytes("1795315800.").Concat(req.Body).ToArray()));
        Assert.Equal(expected, req.Headers[WebhookChannel.SignatureHeader]);
        Assert.Equal("abc123", req.Headers[WebhookChannel.AlertIdHeader]);
        var doc = AlertJson.Deserialize(req.Body);
        Assert.Equal(Alert.RuleId, doc.RuleId);
        Assert.Equal(30, doc.Count);
        Assert.Equal("203.0.113.45", doc.GroupBy["source.ip"]);
        Assert.Equal("root", doc.Fields["user.name"]);
    }

    [Fact]
    public async Task Slack_gets_the_incoming_webhook_payload_with_text_and_blocks()
    {
        using var receiver = new HttpReceiver();
        await new SlackChannel("slack-soc", _http, receiver.Url).DeliverAsync(Alert);

        var root = JsonDocument.Parse(Assert.Single(receiver.Requests).Body).RootElement;
        Assert.Equal("[HIGH] SSH Brute Force From One Source — source.ip=203.0.113.45 (30 events)", root.GetProperty("text").GetString());
        var blocks = root.GetProperty("blocks");
        Assert.Equal("header", blocks[0].GetProperty("type").GetString());
        Assert.Equal("plain_text", blocks[0].GetProperty("text").GetProperty("type").GetString());
        Assert.Equal("section", blocks[1].GetProperty("type").GetString());
        Assert.Equal("mrkdwn", blocks[1].GetProperty("text").GetProperty("type").GetString());
        Assert.Contains("*user.name:* `root`", blocks[1].GetProperty("text").GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Transient_failures_are_retried_until_delivered()
    {
        using var receiver = new HttpReceiver(503, 429, 500);
        var dispatcher = new AlertDispatcher([(new WebhookChannel("hook", _http, receiver.Url), AlertRoute.All)], Fast());

        var outcome = Assert.Single(await dispatcher.DispatchAsync(Alert));

        Assert.True(outcome.Delivered);
        Assert.Equal(4, outcome.Attempts);
        Assert.Equal(4, receiver.Requests.Count);
        Assert.Equal(3, dispatcher.Retries);
        Assert.Equal(0, dispatcher.DeadLettered);
    }

    [Fact]
    public async Task A_permanent_failure_is_dead_lettered_at_once_with_the_reason_and_without_the_secret_url()
    {
        using var bad = new HttpReceiver(400);
        using var good = new HttpReceiver();
        var deadLetter = Path.Combine(_dir, "dead.jsonl");
        var dispatcher = new AlertDispatcher(
        [
            (new SlackChannel("slack-soc", _http, bad.Url), AlertRoute.All),
            (new WebhookChannel("hook", _http, good.Url), AlertRoute.All),
        ], Fast(deadLetter));

        var outcomes = await dispatcher.DispatchAsync(Alert);

        Assert.Single(bad.Requests);
        Assert.Single(good.Requests);
        var failed = outcomes.Single(o => o.Channel == "slack-soc");
        Assert.False(failed.Delivered);
        Assert.Equal(1, failed.Attempts);
        Assert.Equal("slack-soc: HTTP 400 Bad Request: invalid_payload", failed.Error);
        Assert.True(outcomes.Single(o => o.Channel == "hook").Delivered);
        var line = Assert.Single(await File.ReadAllLinesAsync(deadLetter));
        var entry = JsonDocument.Parse(line).RootElement;
        Assert.Equal("slack-soc", entry.GetProperty("channel").GetString());
        Assert.Equal("abc123", entry.GetProperty("alert").GetProperty("alert_id").GetString());
        Assert.DoesNotContain("SECRETPATH", line, StringComparison.Ordinal);
        if (!OperatingSystem.IsWindows()) Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(deadLetter));
    }

    [Fact]
    public async Task Exhausted_retries_are_dead_lettered_and_routes_pick_channels_by_level_and_tag()
    {
        using var down = new HttpReceiver(503, 503, 503, 503, 503);
        using var pager = new HttpReceiver();
        var deadLetter = Path.Combine(_dir, "dead.jsonl");
        var dispatcher = new AlertDispatcher(
        [
            (new WebhookChannel("down", _http, down.Url), AlertRoute.All),
            (new WebhookChannel("pager", _http, pager.Url), new AlertRoute { MinLevel = "critical" }),
            (new WebhookChannel("bruteforce", _http, pager.Url), new AlertRoute { TagPrefixes = ["attack.t1110"] }),
        ], Fast(deadLetter));

        var outcomes = await dispatcher.DispatchAsync(Alert);

        Assert.Equal(["down", "bruteforce"], outcomes.Select(o => o.Channel));
        Assert.Equal(4, down.Requests.Count);
        Assert.False(outcomes[0].Delivered);
        Assert.Equal("down: HTTP 503 Service Unavailable: try later", outcomes[0].Error);
        Assert.True(outcomes[1].Delivered);
        Assert.Single(await File.ReadAllLinesAsync(deadLetter));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
