using Siem.Nats.JetStream;

namespace Siem.Engine.Control;

/// <summary>
/// The engine's side of <see cref="LiveChanges"/>: calls <c>rulesChanged</c> for a rule change newer than the rules the
/// engine loaded, and <c>agentRevoked</c> for every revoked agent (those announced before it started too — applying a
/// revocation twice is harmless). A handler that throws is logged and the watch goes on. The KV watch survives
/// reconnects without skipping a change. With <see cref="Forget"/> set, purge notices are passed on too (ids of the
/// records and alerts to forget; a notice seen again after a restart is applied again, which is harmless).
/// </summary>
/// <param name="replicas">Copies of the bucket if this engine creates it (an existing bucket keeps its own).</param>
public sealed class LiveChangeWatcher(NatsJSContext jetStream, Action<string>? log = null, int replicas = 1)
{
    private readonly NatsJSContext _jetStream = jetStream ?? throw new ArgumentNullException(nameof(jetStream));

    /// <summary>Called for every purge notice (see <see cref="LiveChanges"/>); null = purges are not applied live here.</summary>
    public Action<Purge.SubjectForgetting>? Forget { get; set; }

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
                        Apply(entry, () => forget(Purge.ForgetNotice.Decode(entry.Value.Span)));
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
