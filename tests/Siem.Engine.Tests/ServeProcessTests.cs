using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Channels;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>`siem serve` as a real process against a real nats-server: crash safety and a graceful stop.</summary>
public sealed class ServeProcessTests() : EngineBrokerTest("siem-serve-")
{
    private const int Records = 50;

    private async Task PublishAsync(EnvelopeSealer sealer, string agentId, int fromBatch, int toBatch, CancellationToken ct)
    {
        for (int b = fromBatch; b < toBatch; b++)
        {
            var env = sealer.Seal((ulong)b + 1, LogEventJson.EncodeBatch(SiemServeProcess.Batch(agentId, b, Records)));
            await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{agentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: ct);
        }
    }

    private async Task WaitAsync(Func<Task<bool>> condition, SiemServeProcess engine, string what, CancellationToken ct)
    {
        while (!await condition())
        {
            if (engine.HasExited) throw new InvalidOperationException($"siem serve exited while waiting for {what}:\n{engine.Stderr}");
            if (ct.IsCancellationRequested) throw new TimeoutException($"timed out waiting for {what}:\n{engine.Stderr}");
            await Task.Delay(20, CancellationToken.None);
        }
    }

    private async Task<bool> DrainedAsync(CancellationToken ct)
    {
        var info = await Js.GetConsumerInfoAsync(EngineStreams.Events, "siem-engine", ct);
        return info.NumPending == 0 && info.NumAckPending == 0;
    }

    [Fact]
    public async Task Kill_9_of_the_engine_mid_batch_then_a_restart_leaves_every_record_indexed_exactly_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        var (config, sealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url);
        var data = Path.Combine(Dir, "data");
        const int batches = 400;
        await PublishAsync(sealer, agent.AgentId, 0, batches / 2, timeout.Token);

        long atKill;
        await using (var first = SiemServeProcess.Start(config))
        {
            // Kill while it indexes: some groups committed, others in flight or pulled but unacked.
            await WaitAsync(() => Task.FromResult(SiemServeProcess.CountIndex(data).Rows >= 10 * Records), first, "the first groups indexed", timeout.Token);
            first.KillHard();
            atKill = SiemServeProcess.CountIndex(data).Rows;
        }
        Assert.InRange(atKill, 10 * Records, (batches / 2 * Records) - 1);
        await PublishAsync(sealer, agent.AgentId, batches / 2, batches, timeout.Token);

        await using var second = SiemServeProcess.Start(config);
        await WaitAsync(() => DrainedAsync(timeout.Token), second, "the restarted engine acked every message", timeout.Token);

        var (rows, distinct) = SiemServeProcess.CountIndex(data);
        Assert.Equal(batches * Records, distinct);
        Assert.Equal(distinct, rows);
        Assert.Equal(0UL, (await Js.GetStreamAsync(EngineStreams.Quarantine, timeout.Token)).State.Messages);
        Assert.Equal(0, await second.TerminateAsync(timeout.Token));
    }

    [Fact]
    public async Task Sigterm_stops_pulling_finishes_the_group_in_flight_acks_it_and_exits_zero()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var (config, sealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url);
        var data = Path.Combine(Dir, "data");
        await PublishAsync(sealer, agent.AgentId, 0, 200, timeout.Token);

        await using var engine = SiemServeProcess.Start(config);
        await WaitAsync(() => Task.FromResult(SiemServeProcess.CountIndex(data).Rows > 0), engine, "indexing started", timeout.Token);
        int exit = await engine.TerminateAsync(timeout.Token);

        Assert.True(exit == 0, $"exit {exit}:\n{engine.Stderr}");
        Assert.Contains("serve: stopped cleanly", engine.Stderr, StringComparison.Ordinal);
        // Nothing left half-done: the work-queue stream dropped exactly the messages whose records are indexed (a group
        // indexed but not acked would show as records without their message removed).
        var stream = await Js.GetStreamAsync(EngineStreams.Events, timeout.Token);
        var (rows, distinct) = SiemServeProcess.CountIndex(data);
        Assert.Equal(rows, distinct);
        Assert.True(rows > 0);
        Assert.Equal(200 * Records, rows + ((long)stream.State.Messages * Records));
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task The_engine_role_delivers_a_new_alert_to_the_configured_channel_with_retries_and_logs_the_outcome()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var receiver = new HttpReceiver(503); // the first attempt fails transiently and is retried
        var rule = Path.Combine(Dir, "failed_login.yml");
        File.WriteAllText(rule, """
            title: SSH Failed Login (serve test)
            id: 7a1d3e0c-5b2f-4f7e-8c9d-0e1f2a3b4c5d
            logsource: {product: linux, service: sshd}
            detection:
                selection: {event.action: ssh_login, event.outcome: failure}
                condition: selection
            level: high
            """);
        File.WriteAllText(Path.Combine(Dir, "channels.json"), $$"""{"channels": [{"type": "webhook", "name": "soc", "url": "{{receiver.Url}}"}]}""");
        var (config, sealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url, "alerts:\n  channels_file: channels.json\n", rule);
        var events = Enumerable.Range(0, 3).Select(i =>
        {
            var e = new LogEvent { RecordId = $"f{i}", AgentId = agent.AgentId, Timestamp = NodaTime.Instant.FromUtc(2026, 11, 22, 10, 0, i), Original = $"Failed password for root from 203.0.113.5 port {40000 + i} ssh2" };
            e.Set(EcsFields.Message, e.Original);
            e.Set(EcsFields.ProcessName, "sshd");
            e.Set(EcsFields.EventAction, "ssh_login");
            e.Set(EcsFields.EventOutcome, "failure");
            e.Set(EcsFields.SourceIp, "203.0.113.5");
            return e;
        }).ToList();
        var env = sealer.Seal(1, LogEventJson.EncodeBatch(events));
        await Js.PublishAsync($"siem.events.{PipelineHarness.Tenant}.{agent.AgentId}", env.Body, PipelineHarness.Headers(env), cancellationToken: timeout.Token);

        await using var engine = SiemServeProcess.Start(config);
        var deliveries = Path.Combine(Dir, "data", "alert-deliveries.jsonl");
        await WaitAsync(() => Task.FromResult(File.Exists(deliveries) && File.ReadAllText(deliveries).Contains('\n')), engine, "the delivery outcome logged", timeout.Token);
        Assert.Equal(0, await engine.TerminateAsync(timeout.Token));

        var posts = receiver.Requests.ToArray();
        Assert.Equal(2, posts.Length);
        Assert.Equal(posts[0].Body, posts[1].Body);
        using var alert = System.Text.Json.JsonDocument.Parse(posts[1].Body);
        Assert.Equal("7a1d3e0c-5b2f-4f7e-8c9d-0e1f2a3b4c5d", alert.RootElement.GetProperty("rule_id").GetString());
        Assert.Equal(3, alert.RootElement.GetProperty("count").GetInt64());
        using var outcome = System.Text.Json.JsonDocument.Parse(File.ReadAllLines(deliveries).Single());
        Assert.Equal("soc", outcome.RootElement.GetProperty("channel").GetString());
        Assert.True(outcome.RootElement.GetProperty("delivered").GetBoolean());
        Assert.Equal(2, outcome.RootElement.GetProperty("attempts").GetInt32());
        Assert.Equal(SecureFile.OwnerOnly, File.GetUnixFileMode(deliveries));
    }

    private const string FailedLoginRule = """
        title: SSH Failed Login (serve test)
        id: 7a1d3e0c-5b2f-4f7e-8c9d-0e1f2a3b4c5d
        logsource: {product: linux, service: sshd}
        detection:
            selection: {event.action: ssh_login, event.outcome: failure}
            condition: selection
        level: high
        """;

    private static List<LogEvent> FailedLogins(string agentId, int from, int count) => [.. Enumerable.Range(from, count).Select(i =>
    {
        var e = new LogEvent { RecordId = $"f{i}", AgentId = agentId, Timestamp = NodaTime.Instant.FromUtc(2026, 11, 22, 10, 0, i), Original = $"Failed password for root from 203.0.113.5 port {40000 + i} ssh2" };
        e.Set(EcsFields.Message, e.Original);
        e.Set(EcsFields.ProcessName, "sshd");
        e.Set(EcsFields.EventAction, "ssh_login");
        e.Set(EcsFields.EventOutcome, "failure");
        e.Set(EcsFields.SourceIp, "203.0.113.5");
        return e;
    })];

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task Kill_9_with_an_alert_pending_delivery_then_a_restart_delivers_the_alert_and_its_update_to_the_webhook_exactly_once()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        // The webhook is down at first: the engine is killed while it is still retrying the new alert.
        using var receiver = new HttpReceiver(503, 503, 503);
        var rule = Path.Combine(Dir, "failed_login.yml");
        File.WriteAllText(rule, FailedLoginRule);
        File.WriteAllText(Path.Combine(Dir, "channels.json"), $$"""{"channels": [{"type": "webhook", "name": "soc", "url": "{{receiver.Url}}"}]}""");
        var (config, sealer, agent) = SiemServeProcess.Prepare(Dir, Server.Url, "alerts:\n  channels_file: channels.json\n  update_interval_s: 1\n", rule);
        string subject = $"siem.events.{PipelineHarness.Tenant}.{agent.AgentId}";
        var first = sealer.Seal(1, LogEventJson.EncodeBatch(FailedLogins(agent.AgentId, 0, 3)));
        await Js.PublishAsync(subject, first.Body, PipelineHarness.Headers(first), cancellationToken: timeout.Token);

        await using (var engine = SiemServeProcess.Start(config))
        {
            await WaitAsync(() => Task.FromResult(!receiver.Requests.IsEmpty), engine, "the first delivery attempt", timeout.Token);
            engine.KillHard();
        }
        Assert.All(receiver.Requests, r => Assert.Equal(503, r.Status));

        await using (var engine = SiemServeProcess.Start(config))
        {
            await WaitAsync(() => Task.FromResult(receiver.Requests.Any(r => r.Status == 200)), engine, "the pending alert delivered after the restart", timeout.Token);
            // Two more failures of the same group: they fold into the open alert (count 5), a count update for the channel.
            var second = sealer.Seal(2, LogEventJson.EncodeBatch(FailedLogins(agent.AgentId, 3, 2)));
            await Js.PublishAsync(subject, second.Body, PipelineHarness.Headers(second), cancellationToken: timeout.Token);
            await WaitAsync(() => Task.FromResult(receiver.Requests.Any(r => r.Status == 200 && r.Headers[WebhookChannel.EventHeader] == "update")), engine, "the update delivered", timeout.Token);
            await WaitAsync(async () => await DrainedAsync(timeout.Token), engine, "the events consumer drained", timeout.Token);
            Assert.Equal(0, await engine.TerminateAsync(timeout.Token));
        }

        var accepted = receiver.Requests.Where(r => r.Status == 200).ToList();
        Assert.Equal(["new", "update"], accepted.Select(r => r.Headers[WebhookChannel.EventHeader]));
        string alertId = accepted[0].Headers[WebhookChannel.AlertIdHeader];
        Assert.Equal([$"{alertId}:3", $"{alertId}:5"], accepted.Select(r => r.Headers[WebhookChannel.IdempotencyKeyHeader]));
        Assert.Equal([3L, 5L], accepted.Select(r => System.Text.Json.JsonDocument.Parse(r.Body).RootElement.GetProperty("count").GetInt64()));
        // Every attempt was for the one alert: the three refused (before the kill and after the restart) and the two accepted.
        Assert.Equal(5, receiver.Requests.Count);
        Assert.All(receiver.Requests, r => Assert.Equal(alertId, r.Headers[WebhookChannel.AlertIdHeader]));
    }
}
