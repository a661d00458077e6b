using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Nats;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// One engine replica in this process: its own NATS connection (to every given server, so it fails over), its own
/// batch-sequence state under <paramref name="stateDir"/>, and the shared index sink. <see cref="CrashAsync"/> drops
/// the connection first, so nothing in flight gets acked — the in-process stand-in for kill -9 of an engine process.
/// </summary>
internal sealed class SoakEngine : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly BatchSequenceTracker _tracker;
    private readonly CancellationTokenSource _stop = new();
    private Task _run = Task.CompletedTask;
    private bool _stopped;

    public EventPipeline Pipeline { get; }
    public string Name { get; }

    private SoakEngine(string name, NatsConnection connection, BatchSequenceTracker tracker, EventPipeline pipeline)
    {
        Name = name;
        _connection = connection;
        _tracker = tracker;
        Pipeline = pipeline;
    }

    /// <summary>The run's fault, if it stopped on its own (it should only stop when told to).</summary>
    public Exception? Fault => !_stopped && _run.IsFaulted ? _run.Exception : null;

    public static async Task<SoakEngine> StartAsync(string name, IReadOnlyList<string> urls, IIndexSink sink, EngineKeyPair key, AgentRegistry registry,
        string stateDir, EngineOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        var connection = new NatsConnection(NatsOpts.Default with
        {
            Servers = urls,
            Name = name,
            ReconnectWaitMax = TimeSpan.FromMilliseconds(500),
        });
        BatchSequenceTracker? tracker = null;
        try
        {
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            tracker = new BatchSequenceTracker(stateDir);
            var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [key.KeyId] = key }, registry);
            var pipeline = new EventPipeline(connection, sink, opener, tracker, options: options ?? EngineOptions.Default);
            var engine = new SoakEngine(name, connection, tracker, pipeline);
            engine._run = Task.Run(() => pipeline.RunAsync(engine._stop.Token), CancellationToken.None);
            return engine;
        }
        catch
        {
            tracker?.Dispose();
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Abrupt end: the connection goes first (no more acks or naks), then the run is cancelled.</summary>
    public async Task CrashAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _connection.DisposeAsync().ConfigureAwait(false);
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitRunAsync().ConfigureAwait(false);
        _tracker.Dispose();
    }

    /// <summary>Orderly end: the group in flight finishes and is acked.</summary>
    public async Task StopAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await _stop.CancelAsync().ConfigureAwait(false);
        await WaitRunAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        _tracker.Dispose();
    }

    private async Task WaitRunAsync()
    {
        try
        {
            await _run.WaitAsync(TimeSpan.FromSeconds(30)).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or Siem.Nats.NatsException or ObjectDisposedException)
        {
            // A crash ends the run with whatever it was doing; what was not acked is redelivered.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
