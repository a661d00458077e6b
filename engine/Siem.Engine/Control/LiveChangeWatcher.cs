using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>
/// The engine's side of <see cref="LiveChanges"/>: calls <c>rulesChanged</c> for a rule change newer than the rules the
/// engine loaded, and <c>agentRevoked</c> for every revoked agent (those announced before it started too — applying a
/// revocation twice is harmless). A handler that throws is logged and the watch goes on. The KV watch survives
/// reconnects without skipping a change. With <see cref="Forget"/> set, purge notices are passed on too (ids of the
/// records and alerts to forget; a notice seen again after a restart is applied again, which is harmless); with
/// <see cref="EngineId"/> set as well, the engine heartbeats in <see cref="EngineRoster"/> and confirms every notice part
/// there once <see cref="Forget"/>'s task completed (its state without the subject saved), which the purge waits for.
/// </summary>
/// <param name="replicas">Copies of the bucket if this engine creates it (an existing bucket keeps its own).</param>
public sealed class LiveChangeWatcher(NatsJSContext jetStream, Action<string>? log = null, int replicas = 1)
{
    private readonly NatsJSContext _jetStream = jetStream ?? throw new ArgumentNullException(nameof(jetStream));

    /// <summary>
    /// Called for every purge notice part (see <see cref="LiveChanges"/>); the task completes when the engine's state
    /// without the subject is saved. Null = purges are not applied live here.
    /// </summary>
    public Func<Purge.SubjectForgetting, Task>? Forget { get; set; }

    /// <summary>This engine in <see cref="EngineRoster"/> (heartbeats, confirmations); null = it neither shows nor confirms.</summary>
    public string? EngineId { get; set; }

    /// <summary>The revision of the last rule change; take it before loading the rules, pass it to <see cref="RunAsync"/>.</summary>
    public async Task<ulong> RulesRevisionAsync(CancellationToken cancellationToken = default)
    {
        var bucket = await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
        return (await bucket.GetAsync(LiveChanges.RulesKey, cancellationToken).ConfigureAwait(false))?.Revision ?? 0;
    }

    /// <summary>Watches until cancelled; a watch that fails (the bucket lost, the server refusing) is started again after a second.</summary>
    public async Task RunAsync(ulong rulesLoadedAt, Action rulesChanged, Action<string> agentRevoked, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rulesChanged);
        ArgumentNullException.ThrowIfNull(agentRevoked);
        ulong rulesSeen = rulesLoadedAt;
        var heartbeat = EngineId != null && Forget != null ? Task.Run(() => HeartbeatAsync(EngineId, cancellationToken), CancellationToken.None) : Task.CompletedTask;
        await WatchAsync(rulesSeen, rulesChanged, agentRevoked, cancellationToken).ConfigureAwait(false);
        await heartbeat.ConfigureAwait(false);
    }

    private async Task WatchAsync(ulong rulesSeen, Action rulesChanged, Action<string> agentRevoked, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var bucket = await LiveChanges.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
                await foreach (var entry in bucket.WatchAsync(">", cancellationToken).ConfigureAwait(false))
                {
                    if (entry.Operation != KvOperation.Put) continue;
                    if (entry.Key == LiveChanges.RulesKey)
                    {
                        if (entry.Revision <= rulesSeen) continue;
                        rulesSeen = entry.Revision;
                        log?.Invoke($"rules changed through the API (revision {entry.Revision}): reloading");
                        Apply(entry, rulesChanged);
                    }
                    else if (entry.Key.StartsWith(LiveChanges.AgentPrefix, StringComparison.Ordinal))
                    {
                        Apply(entry, () => agentRevoked(entry.Key[LiveChanges.AgentPrefix.Length..]));
                    }
                    else if (Forget is { } forget && entry.Key.StartsWith(LiveChanges.PurgePrefix, StringComparison.Ordinal))
                    {
                        Task? applying = null;
                        Apply(entry, () => applying = forget(Purge.ForgetNotice.Decode(entry.Value.Span)));
                        if (applying != null && EngineId is { } engine) _ = ConfirmAsync(entry.Key, applying, engine, cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Siem.Nats.NatsException or IOException)
            {
                log?.Invoke($"watching {LiveChanges.Bucket} failed ({ex.Message}); watching again in 1 s");
                try
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    /// <summary>Once the notice part is applied, says so in <see cref="EngineRoster"/> (a failed apply is logged, not confirmed).</summary>
    private async Task ConfirmAsync(string key, Task applying, string engineId, CancellationToken cancellationToken)
    {
        int dot = key.LastIndexOf('.');
        string job = key[LiveChanges.PurgePrefix.Length..dot];
        try
        {
            await applying.ConfigureAwait(false);
            if (!int.TryParse(key.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int part))
                throw new InvalidDataException($"purge notice key '{key}' does not end with a part number");
            var roster = await EngineRoster.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
            await roster.PutAsync(EngineRoster.AppliedKey(job, part, engineId), System.Text.Encoding.UTF8.GetBytes(DateTimeOffset.UtcNow.ToString("O")), cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            log?.Invoke($"purge notice {key} not confirmed: {ex.GetType().Name}: {ex.Message}");
        }
    }

    /// <summary>Shows this engine as running in <see cref="EngineRoster"/> until cancelled (the bucket opened again after a failure).</summary>
    private async Task HeartbeatAsync(string engineId, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                var roster = await EngineRoster.OpenAsync(_jetStream, replicas, cancellationToken).ConfigureAwait(false);
                await EngineRoster.RunHeartbeatAsync(roster, engineId, log, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is Siem.Nats.NatsException or IOException)
            {
                log?.Invoke($"opening {EngineRoster.Bucket} failed ({ex.Message}); trying again in 1 s");
                try { await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(false); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private void Apply(KvEntry entry, Action apply)
    {
        try
        {
            apply();
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log?.Invoke($"live change {entry.Key} (revision {entry.Revision}) not applied: {ex.GetType().Name}: {ex.Message}");
        }
    }
}
