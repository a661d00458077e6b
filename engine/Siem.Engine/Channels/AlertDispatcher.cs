using System.Text.Json;
using Polly;
using Polly.Retry;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Lineage.Hops;

namespace Siem.Engine.Channels;

/// <summary>
/// Routes an alert to every channel whose <see cref="AlertRoute"/> matches and delivers it with retries (Polly:
/// exponential backoff with jitter, transient failures only). An alert a channel could not take — a permanent
/// failure, or attempts exhausted — is written to the dead-letter file with the reason, and every outcome is
/// returned and counted. Channels are independent: one failing does not hold back the others.
/// </summary>
public sealed class AlertDispatcher
{
    private readonly IReadOnlyList<(IAlertChannel Channel, AlertRoute Route)> _channels;
    private readonly AlertDispatchOptions _options;
    private readonly Action<string> _log;
    private readonly ResiliencePipeline _retry;
    private readonly SemaphoreSlim _deadLetterLock = new(1, 1);
    private long _delivered, _deadLettered, _retries, _lineageErrors;

    public AlertDispatcher(IEnumerable<(IAlertChannel Channel, AlertRoute Route)> channels, AlertDispatchOptions? options = null, Action<string>? log = null)
    {
        ArgumentNullException.ThrowIfNull(channels);
        _channels = [.. channels];
        _options = options ?? AlertDispatchOptions.Default;
        _log = log ?? (_ => { });
        _retry = new ResiliencePipelineBuilder()
            .AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = new PredicateBuilder().Handle<AlertDeliveryException>(e => e.Transient),
                MaxRetryAttempts = Math.Max(0, _options.MaxAttempts - 1),
                Delay = _options.BaseDelay,
                MaxDelay = _options.MaxDelay,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                OnRetry = args =>
                {
                    Interlocked.Increment(ref _retries);
                    _log($"alert delivery retry {args.AttemptNumber + 1} in {args.RetryDelay.TotalMilliseconds:0} ms: {args.Outcome.Exception?.Message}");
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Where each delivery outcome is reported as a lineage hop (set before the first dispatch); null = not reported.</summary>
    public ILineageRecorder? Lineage { get; set; }

    /// <summary>Outcomes whose lineage hop could not be recorded (logged; the delivery itself stands).</summary>
    public long LineageErrors => Interlocked.Read(ref _lineageErrors);

    public long Delivered => Interlocked.Read(ref _delivered);
    public long DeadLettered => Interlocked.Read(ref _deadLettered);
    public long Retries => Interlocked.Read(ref _retries);

    /// <summary>The channels and their routes, in configuration order.</summary>
    public IReadOnlyList<(IAlertChannel Channel, AlertRoute Route)> Channels => _channels;

    public async Task<IReadOnlyList<DeliveryOutcome>> DispatchAsync(AlertDocument alert, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alert);
        var routed = _channels.Where(c => c.Route.Matches(alert)).Select(c => DeliverAsync(c.Channel, alert, AlertNotice.New, cancellationToken));
        var outcomes = await Task.WhenAll(routed).ConfigureAwait(false);
        await RecordAsync(outcomes, cancellationToken).ConfigureAwait(false);
        return outcomes;
    }

    /// <summary>
    /// One notice to one channel, with retries; a failure is dead-lettered. The outcome is written to the delivery log and
    /// reported to lineage. Cancellation propagates (nothing recorded), so a stopping process leaves the alert to redelivery.
    /// </summary>
    public async Task<DeliveryOutcome> DeliverNoticeAsync(IAlertChannel channel, AlertDocument alert, AlertNotice notice, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(alert);
        var outcome = await DeliverAsync(channel, alert, notice, cancellationToken).ConfigureAwait(false);
        await RecordAsync([outcome], cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    private async Task RecordAsync(DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        if (_options.DeliveryLogPath != null && outcomes.Length > 0) await LogOutcomesAsync(_options.DeliveryLogPath, outcomes).ConfigureAwait(false);
        if (Lineage is { } lineage) await RecordLineageAsync(lineage, outcomes, cancellationToken).ConfigureAwait(false);
    }

    private async Task RecordLineageAsync(ILineageRecorder lineage, DeliveryOutcome[] outcomes, CancellationToken cancellationToken)
    {
        foreach (var o in outcomes)
        {
            try
            {
                await lineage.RecordDeliveryAsync(new DeliveryLineage(o.AlertId, o.Channel, o.Delivered ? "delivered" : "dead_lettered",
                    Instant.FromDateTimeOffset(o.At), o.Delivered ? null : _options.DeadLetterPath), cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                Interlocked.Increment(ref _lineageErrors);
                _log($"lineage of the delivery of alert {o.AlertId} to '{o.Channel}' was not recorded: {ex.GetType().Name}: {ex.Message}");
            }
        }
    }

    private async Task LogOutcomesAsync(string path, DeliveryOutcome[] outcomes)
    {
        using var buffer = new MemoryStream();
        foreach (var o in outcomes)
        {
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("at", o.At);
                w.WriteString("alert_id", o.AlertId);
                w.WriteString("channel", o.Channel);
                w.WriteString("notice", NoticeName(o.Notice));
                w.WriteBoolean("delivered", o.Delivered);
                w.WriteNumber("attempts", o.Attempts);
                if (o.Error != null) w.WriteString("error", o.Error);
                w.WriteEndObject();
            }
            buffer.WriteByte((byte)'\n');
        }
        await AppendPrivateAsync(path, buffer).ConfigureAwait(false);
    }

    /// <summary>Appends to a JSON-lines file created with mode 0600 (it names alerts and delivery errors).</summary>
    private async Task AppendPrivateAsync(string path, MemoryStream buffer)
    {
        await _deadLetterLock.WaitAsync().ConfigureAwait(false);
        try
        {
            var mode = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using var file = new FileStream(path, mode);
            await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
            await file.FlushAsync().ConfigureAwait(false);
        }
        finally
        {
            _deadLetterLock.Release();
        }
    }

    public static string NoticeName(AlertNotice notice) => notice switch
    {
        AlertNotice.Update => "update",
        AlertNotice.Resolve => "resolve",
        _ => "new",
    };

    private async Task<DeliveryOutcome> DeliverAsync(IAlertChannel channel, AlertDocument alert, AlertNotice notice, CancellationToken cancellationToken)
    {
        int attempts = 0;
        try
        {
            await _retry.ExecuteAsync(async token =>
            {
                attempts++;
                await SendAsync(channel, alert, notice, token).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            Interlocked.Increment(ref _delivered);
            return new DeliveryOutcome(alert.AlertId, channel.Name, true, attempts, null, DateTimeOffset.UtcNow, notice);
        }
        catch (AlertDeliveryException ex)
        {
            var outcome = new DeliveryOutcome(alert.AlertId, channel.Name, false, attempts, ex.Message, DateTimeOffset.UtcNow, notice);
            await DeadLetterAsync(outcome, alert).ConfigureAwait(false);
            return outcome;
        }
    }

    private static Task SendAsync(IAlertChannel channel, AlertDocument alert, AlertNotice notice, CancellationToken cancellationToken) => notice switch
    {
        AlertNotice.Update => channel.DeliverUpdateAsync(alert, cancellationToken),
        AlertNotice.Resolve when channel is IResolvableAlertChannel resolvable => resolvable.ResolveAsync(alert, cancellationToken),
        AlertNotice.Resolve => Task.CompletedTask,
        _ => channel.DeliverAsync(alert, cancellationToken),
    };

    /// <summary>Records an alert that never reached a channel (e.g. the delivery queue was full) in the dead-letter file and the counts.</summary>
    public Task DeadLetterUndeliveredAsync(AlertDocument alert, string channel, string reason)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return DeadLetterAsync(new DeliveryOutcome(alert.AlertId, channel, false, 0, reason, DateTimeOffset.UtcNow), alert);
    }

    private async Task DeadLetterAsync(DeliveryOutcome outcome, AlertDocument alert)
    {
        Interlocked.Increment(ref _deadLettered);
        _log($"alert {alert.AlertId} dead-lettered for channel '{outcome.Channel}' after {outcome.Attempts} attempt(s): {outcome.Error}");
        if (_options.DeadLetterPath == null) return;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("at", outcome.At);
            w.WriteString("channel", outcome.Channel);
            w.WriteString("notice", NoticeName(outcome.Notice));
            w.WriteString("alert_id", outcome.AlertId);
            w.WriteNumber("attempts", outcome.Attempts);
            w.WriteString("error", outcome.Error);
            w.WritePropertyName("alert");
            AlertJson.Write(w, alert);
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        await _deadLetterLock.WaitAsync().ConfigureAwait(false);
        try
        {
            bool created = !File.Exists(_options.DeadLetterPath);
            await using (var file = new FileStream(_options.DeadLetterPath, FileMode.Append, FileAccess.Write, FileShare.Read))
            {
                await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length)).ConfigureAwait(false);
                await file.FlushAsync().ConfigureAwait(false);
            }
            if (created && !OperatingSystem.IsWindows()) File.SetUnixFileMode(_options.DeadLetterPath, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        finally
        {
            _deadLetterLock.Release();
        }
    }
}
