using NodaTime;
using Siem.Engine.Alerts;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Count updates of open alerts, coalesced until the next snapshot. With deferred acks (a state dir) nothing is acked
/// before the snapshot anyway, so an alert that folds repeats in every group is indexed and published once per
/// snapshot, in its latest state, instead of once per group; new alerts still go out with their group. The updates are
/// written and published before the snapshot is captured, so a message is acked only after every alert it changed is
/// stored; a crash before that redelivers the messages and the restored suppressor folds them again. With lineage on,
/// the hops of the flushed updates are recorded then too (each naming its alerts-stream message, and every record id of
/// the alert; the ledger links the alert to those records' subjects from their batch hops, which went out with their
/// groups before), and the snapshot waits until they are recorded, so no message is acked ahead of its alert's lineage.
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
        if (_state == null) return;
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

    /// <summary>Indexes and publishes the pending updates and records the alert hops not recorded yet; false (what failed
    /// stays pending, the snapshot waits) when any of it failed.</summary>
    private async Task<bool> TryFlushAlertUpdatesAsync(CancellationToken cancellationToken)
    {
        if (_pendingUpdates.Count == 0) return await TryRecordPendingAlertLineageAsync(cancellationToken).ConfigureAwait(false);
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
        List<bool> isNew = [.. updates.Select(_ => false)];
        // With lineage, announced only after their hops (as a group's alerts are), so whoever hears of an update finds its lineage.
        var acks = Lineage != null ? new Dictionary<string, PubAck>(StringComparer.Ordinal) : null;
        var unpublished = await PublishAlertsAsync(updates, isNew, acks, cancellationToken).ConfigureAwait(false);
        _pendingUpdates.Clear();
        if (unpublished is { } failed)
        {
            foreach (var a in failed.Alerts) _pendingUpdates[a.AlertId] = a;
        }
        if (Lineage is not { } lineage) return unpublished == null;
        var hops = DescribeAlerts(lineage, [.. updates.Where(u => acks!.ContainsKey(u.AlertId))], NoRecordSubjects, SystemClock.Instance.GetCurrentInstant(), acks!);
        foreach (var hop in hops) _pendingAlertLineage[(hop.AlertId, hop.StreamSeq)] = hop;
        bool recorded = await TryRecordPendingAlertLineageAsync(cancellationToken).ConfigureAwait(false);
        Announce(updates, isNew, acks!);
        return unpublished == null && recorded;
    }

    /// <summary>Subjects by record for the hops of flushed updates: none here, the ledger takes them from the batch hops.</summary>
    private static readonly Dictionary<string, IReadOnlyList<string>> NoRecordSubjects = new(StringComparer.Ordinal);

    /// <summary>Alert hops not recorded yet (of flushed updates, or of a group whose lineage failed), recorded before a
    /// snapshot acks the messages behind them; false when the recorder failed (they stay pending).</summary>
    private async Task<bool> TryRecordPendingAlertLineageAsync(CancellationToken cancellationToken)
    {
        if (Lineage is not { } lineage || _pendingAlertLineage.Count == 0) return true;
        try
        {
            await lineage.Recorder.RecordAlertsAsync([.. _pendingAlertLineage.Values], cancellationToken).ConfigureAwait(false);
            _pendingAlertLineage.Clear();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _lineageErrors);
            Log($"recording the lineage of {_pendingAlertLineage.Count} alert states failed, the snapshot and its acks wait for the next try: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>
    /// A purge: pending updates of alerts it deleted or redacted, or that hold its records, are dropped. They were folded
    /// before the purge and would write the subject back into the index when flushed; the suppressor closes those alerts.
    /// </summary>
    private int ForgetPendingUpdates(Purge.SubjectForgetting forget)
    {
        var concerned = _pendingUpdates.Values
            .Where(a => forget.AlertIds.Contains(a.AlertId) || a.RecordIds.Any(forget.RecordIds.Contains))
            .Select(a => a.AlertId).ToList();
        foreach (var id in concerned) _pendingUpdates.Remove(id);
        return concerned.Count;
    }
}
