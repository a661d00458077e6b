using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Channels;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests.Delivery;

/// <summary>
/// Channels are fed from the alerts stream by durable consumers: count updates are paced per alert, PagerDuty gets
/// re-triggers and resolves with the alert's dedup_key, and what a channel refuses is dead-lettered, never retried forever.
/// Real nats-server, real HTTP peers.
/// </summary>
public sealed class DurableAlertDeliveryTests() : EngineBrokerTest("siem-durable-delivery-")
{
    private const string RoutingKey = "R0UTINGKEY0123456789abcdef012345";
    private readonly HttpClient _http = new() { Timeout = TimeSpan.FromSeconds(5) };
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(45));

    public override async Task DisposeAsync()
    {
        _http.Dispose();
        _timeout.Dispose();
        await base.DisposeAsync();
    }

    private static AlertDocument Alert(string id, long count, Instant firstSeen) => new()
    {
        AlertId = id,
        RuleId = "ssh-brute-force",
        Title = "SSH brute force",
        Level = "high",
        Kind = "correlation",
        Tags = ["attack.t1110.001"],
        GroupBy = new Dictionary<string, string> { ["source.ip"] = "203.0.113.5" },
        Fields = new Dictionary<string, string> { ["host.name"] = "web1" },
        FirstSeen = firstSeen,
        LastSeen = firstSeen + Duration.FromSeconds(count),
        Count = count,
    };

    /// <summary>As the engine publishes an alert state before it acks the events that raised it.</summary>
    private async Task PublishStateAsync(AlertDocument a) =>
        await Js.PublishAsync($"siem.alerts.{a.Level}", AlertJson.Serialize(a), new NatsHeaders { { "Siem-Alert-Id", a.AlertId } }, $"{a.AlertId}:{a.Count}", _timeout.Token);

    private AlertDispatcher Dispatcher(params IAlertChannel[] channels) => new(
        channels.Select(c => (c, AlertRoute.All)),
        new AlertDispatchOptions { BaseDelay = TimeSpan.FromMilliseconds(20), MaxAttempts = 3, DeadLetterPath = Path.Combine(Dir, "dead.jsonl"), DeliveryLogPath = Path.Combine(Dir, "deliveries.jsonl") });

    private async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        while (!condition())
        {
            if (_timeout.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private static long CustomCount(PagerDutyPeer.Event e) => e.Body.GetProperty("payload").GetProperty("custom_details").GetProperty("count").GetInt64();

    [Fact]
    public async Task A_storm_of_repeats_reaches_PagerDuty_and_Slack_as_one_alert_and_one_paced_update_with_the_final_count_and_a_triage_close_resolves_the_incident_once()
    {
        using var pagerDuty = new PagerDutyPeer();
        using var slack = new HttpReceiver();
        var dispatcher = Dispatcher(new PagerDutyChannel("pagerduty", _http, RoutingKey, pagerDuty.Url), new SlackChannel("slack", _http, slack.Url));
        await using var delivery = new DurableAlertDelivery(Connection, dispatcher, new DurableDeliveryOptions { UpdateInterval = TimeSpan.FromSeconds(8), AckWait = TimeSpan.FromSeconds(5) });
        await delivery.StartAsync(_timeout.Token);
        var first = Instant.FromUtc(2026, 11, 22, 2, 10);

        await PublishStateAsync(Alert("alert1", 1, first));
        await WaitUntilAsync(() => pagerDuty.Events.Count == 1 && slack.Requests.Count == 1, "the new alert on both channels");
        // Five repeats within the update interval: held back, and only the last count goes out once the interval has passed.
        for (long count = 2; count <= 6; count++) await PublishStateAsync(Alert("alert1", count, first));
        await WaitUntilAsync(() => pagerDuty.Events.Count == 2 && slack.Requests.Count == 2, "the paced update on both channels");

        var closed = Alert("alert1", 6, first);
        var resolutions = new AlertResolutionPublisher(Connection);
        await resolutions.PublishResolveAsync(closed, _timeout.Token);
        await WaitUntilAsync(() => pagerDuty.Events.Count == 3, "the resolve");
        await resolutions.PublishResolveAsync(closed, _timeout.Token); // a second close (a retried API call) resolves nothing more
        Assert.True(await delivery.WaitIdleAsync(TimeSpan.FromSeconds(20), _timeout.Token));

        var events = pagerDuty.Events.ToArray();
        Assert.Equal([("trigger", "alert1", 202), ("trigger", "alert1", 202), ("resolve", "alert1", 202)], events.Select(e => (e.Action, e.DedupKey, e.Status)));
        Assert.Equal([1L, 6L], events.Take(2).Select(CustomCount));
        Assert.Equal("[HIGH] SSH brute force — source.ip=203.0.113.5 (6×)", events[1].Body.GetProperty("payload").GetProperty("summary").GetString());
        Assert.False(events[2].Body.TryGetProperty("payload", out _));
        Assert.Equal("resolved", pagerDuty.Incidents["alert1"]);
        var texts = slack.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("text").GetString()!).ToArray();
        Assert.Equal(["[HIGH] SSH brute force — source.ip=203.0.113.5 (1 event)", "Update: [HIGH] SSH brute force — source.ip=203.0.113.5 (6 events)"], texts);
        // Per channel: five updates held back, four of them superseded by the sixth when they came back.
        Assert.Equal(10, delivery.UpdatesPaced);
        Assert.Equal(8, delivery.Superseded);
    }

    [Fact]
    public async Task An_alert_whose_suppression_window_has_ended_resolves_its_incident_and_one_still_inside_its_window_stays_open()
    {
        using var pagerDuty = new PagerDutyPeer();
        var dispatcher = Dispatcher(new PagerDutyChannel("pagerduty", _http, RoutingKey, pagerDuty.Url));
        await using var delivery = new DurableAlertDelivery(Connection, dispatcher, new DurableDeliveryOptions { ResolveAfterWindow = Duration.FromMinutes(15) });
        await delivery.StartAsync(_timeout.Token);
        var now = Instant.FromDateTimeOffset(DateTimeOffset.UtcNow);

        await PublishStateAsync(Alert("ended", 3, now - Duration.FromHours(2)));
        await PublishStateAsync(Alert("current", 2, now));
        await WaitUntilAsync(() => pagerDuty.Events.Count == 3, "two triggers and the resolve of the ended one");
        Assert.True(await delivery.WaitIdleAsync(TimeSpan.FromSeconds(20), _timeout.Token));

        Assert.Equal(["trigger ended", "trigger current", "resolve ended"], pagerDuty.Events.Select(e => $"{e.Action} {e.DedupKey}"));
        Assert.Equal("resolved", pagerDuty.Incidents["ended"]);
        Assert.Equal("triggered", pagerDuty.Incidents["current"]);
        Assert.Equal(1, delivery.Resolved);
    }

    [Fact]
    public async Task An_alert_the_channel_refuses_is_dead_lettered_with_the_reason_and_acked_and_its_next_update_is_sent_as_the_whole_alert()
    {
        using var hook = new HttpReceiver(400); // the first POST is refused as invalid: permanent, not retried
        var dispatcher = Dispatcher(new WebhookChannel("soc", _http, hook.Url));
        await using var delivery = new DurableAlertDelivery(Connection, dispatcher, new DurableDeliveryOptions { UpdateInterval = TimeSpan.Zero });
        await delivery.StartAsync(_timeout.Token);
        var first = Instant.FromUtc(2026, 11, 22, 2, 10);

        await PublishStateAsync(Alert("refused", 1, first));
        await WaitUntilAsync(() => File.Exists(Path.Combine(Dir, "dead.jsonl")), "the dead letter");
        await PublishStateAsync(Alert("refused", 2, first));
        await WaitUntilAsync(() => hook.Requests.Count == 2, "the next state");
        Assert.True(await delivery.WaitIdleAsync(TimeSpan.FromSeconds(20), _timeout.Token));

        var requests = hook.Requests.ToArray();
        Assert.Equal([(400, "new", "refused:1"), (200, "new", "refused:2")], requests.Select(r => (r.Status, r.Headers[WebhookChannel.EventHeader], r.Headers[WebhookChannel.IdempotencyKeyHeader])));
        using var dead = JsonDocument.Parse(Assert.Single(File.ReadAllLines(Path.Combine(Dir, "dead.jsonl"))));
        Assert.Equal("soc", dead.RootElement.GetProperty("channel").GetString());
        Assert.Equal("refused", dead.RootElement.GetProperty("alert_id").GetString());
        Assert.Equal(1, dead.RootElement.GetProperty("attempts").GetInt32());
        Assert.StartsWith("soc: HTTP 400", dead.RootElement.GetProperty("error").GetString(), StringComparison.Ordinal);
        var consumer = await Js.GetConsumerInfoAsync(EngineStreams.Alerts, delivery.ConsumerName("soc"), _timeout.Token);
        Assert.Equal(0, consumer.NumAckPending);
        Assert.Equal(1, dispatcher.DeadLettered);
        Assert.Equal(1, dispatcher.Delivered);
    }
}
