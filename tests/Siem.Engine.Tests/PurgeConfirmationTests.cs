using Siem.Engine.Control;
using Siem.Engine.Purge;
using Siem.Lineage.Purge;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Testing;

namespace Siem.Engine.Tests;

/// <summary>
/// Issue #6: a purge's engine-state step waits for the confirmations of the engines that run (not a grace window),
/// names in its note an engine that did not confirm, and purge notices do not stay in SIEM_CONTROL forever while
/// engines that start within their retention still learn them. Against a real nats-server.
/// </summary>
public sealed class PurgeConfirmationTests
{
    [Fact]
    public async Task The_engine_state_step_waits_for_each_running_engine_and_names_one_that_did_not_confirm()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var broker = await Broker.StartAsync(cts.Token);
        // One engine applies notices (slowly: its state is saved a moment later) and confirms; another runs but never applies them.
        var applied = new List<string>();
        var listening = new LiveChangeWatcher(broker.Js)
        {
            EngineId = "engine-listening",
            Forget = async forget =>
            {
                await Task.Delay(300, cts.Token);
                lock (applied) applied.Add(forget.JobId);
            },
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var watching = Task.Run(() => listening.RunAsync(0, () => { }, _ => { }, stop.Token), CancellationToken.None);
        var roster = await EngineRoster.OpenAsync(broker.Js, cancellationToken: cts.Token);
        var silent = Task.Run(() => EngineRoster.RunHeartbeatAsync(roster, "engine-silent", null, stop.Token), CancellationToken.None);
        await WaitUntilAsync(async () => (await EngineRoster.LiveAsync(broker.Js, cts.Token)).Count == 2, cts.Token);

        var target = new EngineStatePurgeTarget([], new LiveChangePublisher(broker.Js)) { ConfirmLimit = TimeSpan.FromSeconds(10) };
        var result = await target.PurgeAsync(Scope("purge-confirm-1"), cts.Token);

        Assert.Equal(new[] { "purge-confirm-1" }, applied); // confirmed only after it applied the notice
        Assert.Contains("1 running engine(s) confirmed the purge notice", result.Note, StringComparison.Ordinal);
        Assert.Contains("NOT confirmed within 10 s by engine-silent", result.Note, StringComparison.Ordinal);
        Assert.DoesNotContain("engine-listening", result.Note, StringComparison.Ordinal);
        await stop.CancelAsync();
        await Task.WhenAll(watching, silent);
        // A stopped engine removes itself from the roster.
        Assert.Empty(await EngineRoster.LiveAsync(broker.Js, cts.Token));
    }

    [Fact]
    public async Task Without_running_engines_the_step_does_not_wait()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var broker = await Broker.StartAsync(cts.Token);
        var target = new EngineStatePurgeTarget([], new LiveChangePublisher(broker.Js)) { ConfirmLimit = TimeSpan.FromSeconds(20) };
        var result = await target.PurgeAsync(Scope("purge-confirm-2"), cts.Token);
        Assert.Contains("0 running engine(s) confirmed", result.Note, StringComparison.Ordinal);
        Assert.DoesNotContain("NOT confirmed", result.Note, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_notice_stays_for_engines_that_start_later_and_goes_once_older_than_its_retention()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(28));
        await using var broker = await Broker.StartAsync(cts.Token);
        var keeping = new LiveChangePublisher(broker.Js);
        await new EngineStatePurgeTarget([], keeping).PurgeAsync(Scope("purge-kept"), cts.Token);

        // An engine starting after the purge still learns of it, and confirms it.
        var learned = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var late = new LiveChangeWatcher(broker.Js)
        {
            EngineId = "engine-late",
            Forget = forget =>
            {
                learned.TrySetResult(forget.JobId);
                return Task.CompletedTask;
            },
        };
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var watching = Task.Run(() => late.RunAsync(0, () => { }, _ => { }, stop.Token), CancellationToken.None);
        Assert.Equal("purge-kept", await learned.Task.WaitAsync(cts.Token));
        await WaitUntilAsync(async () => (await EngineRoster.ConfirmedAsync(broker.Js, "purge-kept", 0, cts.Token)).Contains("engine-late"), cts.Token);

        // A later purge whose publisher keeps notices for no time removes both: its own (every running engine confirmed) and the older one.
        var removing = new LiveChangePublisher(broker.Js) { NoticeRetention = TimeSpan.Zero };
        var result = await new EngineStatePurgeTarget([], removing).PurgeAsync(Scope("purge-removed"), cts.Token);
        Assert.Contains("1 running engine(s) confirmed", result.Note, StringComparison.Ordinal);
        Assert.Contains("notices of 2 purge(s) older than 0 day(s) removed", result.Note, StringComparison.Ordinal);
        var control = await LiveChanges.OpenAsync(broker.Js, cts.Token);
        Assert.Null(await control.GetAsync(LiveChanges.PurgeKey("purge-kept", 0), cts.Token));
        Assert.Null(await control.GetAsync(LiveChanges.PurgeKey("purge-removed", 0), cts.Token));
        // Removed by a stream purge, so no marker is left either.
        Assert.Equal(0UL, (await broker.Js.GetStreamAsync(control.StreamName, cts.Token)).State.Messages);
        await stop.CancelAsync();
        await watching;
    }

    private static PurgeScope Scope(string job) => new()
    {
        JobId = job, DataDir = Path.GetTempPath(), Field = "source.ip", SubjectId = "subject-id", Value = "203.0.113.9",
        RecordIds = new HashSet<string>(["r-1", "r-2"], StringComparer.Ordinal),
    };

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, CancellationToken cancellationToken)
    {
        while (!await condition()) await Task.Delay(100, cancellationToken);
    }

    private sealed class Broker : IAsyncDisposable
    {
        private NatsServer _server = null!;
        private NatsConnection _nats = null!;
        public NatsJSContext Js { get; private set; } = null!;

        public static async Task<Broker> StartAsync(CancellationToken cancellationToken)
        {
            var b = new Broker { _server = await NatsServer.StartAsync() };
            b._nats = new NatsConnection(NatsOpts.Default with { Servers = [b._server.Url] });
            await b._nats.ConnectAsync(cancellationToken);
            b.Js = new NatsJSContext(b._nats);
            return b;
        }

        public async ValueTask DisposeAsync()
        {
            await _nats.DisposeAsync();
            await _server.DisposeAsync();
        }
    }
}
