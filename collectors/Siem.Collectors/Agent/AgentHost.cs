using Siem.Collectors.Delivery;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Collectors.Spool;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Collectors.Agent;

/// <summary>
/// The running agent: sources → ParserPipeline → batches → envelope → JetStream (or the disk spool) →
/// source checkpoints. Used by <c>siem-agent run</c> and in-process by <c>siem demo</c> / <c>siem bench agent</c>.
/// Starts even when the broker is down (batches go to the spool until it is reachable).
/// </summary>
public sealed partial class AgentHost : IAsyncDisposable
{
    private readonly AgentHostOptions _options;
    private readonly IReadOnlyList<ILogSource> _sources;
    private readonly NatsConnection _connection;
    private readonly IBatchPublisher _publisher;
    private readonly DiskSpool _spool;
    private readonly BatchSequence _sequence;
    private readonly BatchShipper _shipper;
    private readonly CancellationTokenSource _stopReading = new();
    private readonly CancellationTokenSource _hardStop = new();
    private readonly CancellationTokenSource _background = new();
    private Task _pipeline = Task.CompletedTask;
    private Task _connector = Task.CompletedTask;
    private Task _statusWriter = Task.CompletedTask;
    private Task _keyWatch = Task.CompletedTask;
    private bool _stopped;

    /// <summary>Who the agent is and what it seals to (the engine key changes when the engine rotates it).</summary>
    public EnrollmentState Enrollment { get; private set; }
    public AgentMetrics Metrics { get; } = new();
    public string StatusPath => Path.Combine(_options.StateDir, StatusFile);
    public const string StatusFile = "status.json";

    /// <summary>Completes when the pipeline ended (all sources finished, or after <see cref="StopAsync"/>).</summary>
    public Task Completion => _pipeline;

    public long SpoolBytes => _shipper.SpoolBytes;
    public long SpoolBatches => _shipper.SpoolBatches;
    public bool Connected => _publisher.IsConnected;

    private AgentHost(AgentHostOptions options, IReadOnlyList<ILogSource> sources)
    {
        _options = options;
        _sources = sources;
        Enrollment = EnrollmentState.Load(options.StateDir);
        var identity = AgentIdentity.Load(Path.Combine(options.StateDir, EnrollmentState.IdentityFile));
        if (identity.AgentId != Enrollment.AgentId)
            throw new InvalidDataException($"{options.StateDir}: identity.json is for '{identity.AgentId}' but enrollment.json for '{Enrollment.AgentId}'; enroll again");
        _connection = new NatsConnection(options.Nats);
        _publisher = new JetStreamBatchPublisher(_connection, options.Shipper.MaxInFlight, options.Shipper.AckTimeout);
        _spool = new DiskSpool(Path.Combine(options.StateDir, "spool"), options.Spool);
        if (_spool.TruncatedBytesOnOpen > 0) options.Log($"spool: cut {_spool.TruncatedBytesOnOpen} bytes of a torn tail (crash during an append)");
        _sequence = new BatchSequence(Path.Combine(options.StateDir, "batch-seq"));
        _shipper = new BatchShipper(_publisher, _spool, options.Spool, options.Shipper, Metrics, options.Log);
        var parser = new ParserPipeline(options.Parser with { AgentId = Enrollment.AgentId });
        _sealer = new AgentSealer(identity, Enrollment.EnginePublicKeyBytes, Enrollment.EngineKeyId, _sequence);
        _identityStamp = IdentityStamp();
        Pipeline = new AgentPipeline(sources, parser, _sealer, _shipper, options.Batch, Enrollment.Subject, Metrics, options.Log);
    }

    private AgentPipeline Pipeline { get; }

    /// <summary>Loads identity and enrollment from the state dir, starts connecting, and starts reading the sources.</summary>
    public static AgentHost Start(AgentHostOptions options, IReadOnlyList<ILogSource> sources)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(sources);
        var host = new AgentHost(options, sources);
        host._connector = Task.Run(host.ConnectLoopAsync);
        host._pipeline = Task.Run(() => host.Pipeline.RunAsync(host._stopReading.Token, host._hardStop.Token));
        host._statusWriter = Task.Run(host.StatusLoopAsync);
        host._keyWatch = Task.Run(host.KeyLoopAsync);
        return host;
    }

    /// <summary>
    /// Graceful stop: stop reading, ship what was read, wait for acks (or spool), commit, and drain the spool
    /// while <paramref name="flushTimeout"/> allows. Whatever is left stays spooled for the next start.
    /// </summary>
    public async Task StopAsync(TimeSpan flushTimeout)
    {
        if (_stopped) return;
        _stopped = true;
        using var deadline = new CancellationTokenSource(flushTimeout);
        await using var _ = deadline.Token.Register(() => _hardStop.Cancel());
        await _stopReading.CancelAsync().ConfigureAwait(false);
        try
        {
            await _pipeline.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _options.Log("stop: the last batch could not be handed over before the flush timeout; its lines will be read again");
        }
        catch (Exception e)
        {
            _options.Log($"pipeline failed: {e.Message}");
        }
        try
        {
            await _shipper.FlushAndStopAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _options.Log("stop: flush timeout; unacknowledged batches stay uncommitted and are read again on the next start");
        }
        await _background.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_connector, _statusWriter, _keyWatch).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        WriteStatus();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        await _shipper.DisposeAsync().ConfigureAwait(false);
        await _publisher.DisposeAsync().ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
        foreach (var source in _sources) await source.DisposeAsync().ConfigureAwait(false);
        _spool.Dispose();
        Metrics.Dispose();
        _stopReading.Dispose();
        _hardStop.Dispose();
        _background.Dispose();
    }

    /// <summary>The first connect may fail (broker down at boot); retry until it works — the client reconnects by itself after that.</summary>
    private async Task ConnectLoopAsync()
    {
        var delay = _options.Nats.ReconnectWaitMin;
        string? lastError = null;
        while (!_background.IsCancellationRequested)
        {
            try
            {
                await _connection.ConnectAsync(_background.Token).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (_background.IsCancellationRequested)
            {
                return;
            }
            catch (NatsException e)
            {
                if (lastError != e.Message) _options.Log($"broker unreachable ({e.Message}); spooling and retrying");
                lastError = e.Message;
            }
            try
            {
                await Task.Delay(delay, _background.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.Nats.ReconnectWaitMax.Ticks));
        }
    }
}
