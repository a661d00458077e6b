using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Search;
using Siem.Nats.JetStream;

namespace Siem.Engine.Tests.Delivery;

/// <summary>Channels deliver from the alerts stream, so the engine acks events only once their alerts are in it.</summary>
public sealed class AlertPublishTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-alert-publish-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>Removes the alerts stream before the first write (so that group's alert cannot be published) and restores it before the next.</summary>
    private sealed class AlertsStreamOutage(IIndexSink inner, Func<NatsJSContext> js) : IIndexSink
    {
        public int Writes;

        public async Task WriteAsync(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref Writes) == 1) await js().DeleteStreamAsync(EngineStreams.Alerts, cancellationToken);
            else await EngineStreams.EnsureAsync(js(), cancellationToken);
            await inner.WriteAsync(events, alerts, cancellationToken);
        }

        public Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.SearchAsync(request, cancellationToken);
        public Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default) => inner.CountAsync(request, cancellationToken);
        public Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default) => inner.DeleteAsync(ids, cancellationToken);
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }

    /// <summary>Messages in the alerts stream; 0 while the outage has it deleted.</summary>
    private static async Task<ulong> AlertsInStreamAsync(PipelineHarness h)
    {
        try
        {
            return (await h.Js.GetStreamAsync(EngineStreams.Alerts, h.Timeout.Token)).State.Messages;
        }
        catch (NatsJSApiException)
        {
            return 0;
        }
    }

    [Fact]
    public async Task When_an_alert_cannot_be_published_the_events_are_not_acked_and_the_redelivery_publishes_the_alert_once()
    {
        var rule = Path.Combine(_dir, "ten_dot_one.yml");
        File.WriteAllText(rule, """
            title: Login failures from 10.0.0.1 (publish test)
            id: 0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41
            logsource: {product: linux, service: sshd}
            detection:
                selection: {source.ip: 10.0.0.1}
                condition: selection
            level: high
            """);
        AlertsStreamOutage? outage = null;
        PipelineHarness? harness = null;
        await using var h = harness = await PipelineHarness.StartAsync(inner => outage = new AlertsStreamOutage(inner, () => harness!.Js), detector: SigmaDetector.Load([rule], null));
        await h.PublishAsync(h.Seal(1, PipelineHarness.Events("agent-1", 1, 7)));

        await h.WaitUntilAsync(async () => await AlertsInStreamAsync(h) > 0, "the alert in the alerts stream");
        await h.WaitDrainedAsync();

        Assert.Equal(2, outage!.Writes); // the group was written, not acked, redelivered and written again (idempotently)
        Assert.Equal(7, await h.CountAsync());
        Assert.Equal(1, h.Pipeline.Stats.AlertPublishErrors);
        Assert.True(h.Pipeline.Stats.MessagesNaked >= 1);
        var stream = await h.Js.GetStreamAsync(EngineStreams.Alerts, h.Timeout.Token);
        Assert.Equal(1UL, stream.State.Messages);
        var alert = AlertJson.Deserialize((await h.Js.GetMsgAsync(EngineStreams.Alerts, stream.State.FirstSeq, h.Timeout.Token)).Data.Span);
        Assert.Equal("0b1c2d3e-4f50-4a61-8b72-9c8d7e6f5a41", alert.RuleId);
        Assert.Equal(7, alert.Count);
        Assert.Equal(1, h.Pipeline.Stats.AlertsRaised);
    }
}
