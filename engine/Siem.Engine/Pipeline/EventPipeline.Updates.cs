using Siem.Engine.Alerts;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Count updates of open alerts, coalesced until the next snapshot. With deferred acks (a state dir) nothing is acked
/// before the snapshot anyway, so an alert that folds repeats in every group is indexed and published once per
/// snapshot, in its latest state, instead of once per group; new alerts still go out with their group. The updates are
/// written and published before the snapshot is captured, so a message is acked only after every alert it changed is
/// stored; a crash before that redelivers the messages and the restored suppressor folds them again. With lineage on,
/// each group's alert hops name the group's records, so updates are not deferred there.
/// </summary>
public sealed partial class EventPipeline
{
    /// <summary>Alert id → its latest updated state, not indexed nor published yet.</summary>
    private readonly Dictionary<string, AlertDocument> _pendingUpdates = new(StringComparer.Ordinal);

    /// <summary>Alert updates waiting for the next snapshot.</summary>
    public int PendingAlertUpdates => _pendingUpdates.Count;

    /// <summary>Moves a group's updates (not its new alerts) to the pending set when they may wait for the snapshot.</summary>
    private void DeferUpdates(List<AlertDocument> alerts, List<bool> isNew)
    {
        if (_state == null || Lineage != null) return;
        int kept = 0;
        for (int i = 0; i < alerts.Count; i++)
        {
            if (!isNew[i])
            {
                _pendingUpdates[alerts[i].AlertId] = alerts[i];
                continue;
            }
            // A new alert supersedes an update pending under the same id (it was closed and raised again).
            _pendingUpdates.Remove(alerts[i].AlertId);
            alerts[kept] = alerts[i];
            isNew[kept++] = true;
        }
        alerts.RemoveRange(kept, alerts.Count - kept);
        isNew.RemoveRange(kept, isNew.Count - kept);
    }

    /// <summary>Indexes and publishes the pending updates; false (they stay pending, the snapshot waits) when that failed.</summary>
    private async Task<bool> TryFlushAlertUpdatesAsync(CancellationToken cancellationToken)
    {
        if (_pendingUpdates.Count == 0) return true;
        var updates = _pendingUpdates.Values.ToList();
        try
        {
            using (Stats.Cpu.Measure(PipelineStage.Index)) await _sink.WriteAsync([], updates, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Stats.IndexError();
            Log($"indexing {updates.Count} alert updates failed, the snapshot and its acks wait for the next try: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
        var unpublished = await PublishAlertsAsync(updates, [.. updates.Select(_ => false)], null, cancellationToken).ConfigureAwait(false);
        _pendingUpdates.Clear();
        if (unpublished is not { } failed) return true;
        foreach (var a in failed.Alerts) _pendingUpdates[a.AlertId] = a;
        return false;
    }
}
