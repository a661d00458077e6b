using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.ScaleOut;

public sealed partial class CorrelationPartitions
{
    /// <summary>
    /// Indexes a partition's alerts, then publishes them on <c>siem.alerts.&lt;level&gt;</c> (<c>Nats-Msg-Id</c> = alert id +
    /// count, so the same alert state raised again by a replay is dropped by SIEM_ALERTS) and reports them to
    /// <see cref="AlertIndexed"/>. Throws when the index, the lineage or the stream does not confirm: the partition then starts
    /// over from its saved state. Alert hops are those of the pipeline's alerts, recorded after the publish so each names
    /// its alerts-stream message (a replay publishes the same message id again and gets the original's sequence back);
    /// their records were reported with their batches by the engines that consumed them, so the ledger joins the alert
    /// to them by record id.
    /// </summary>
    private async Task IndexAlertsAsync(IIndexSink sink, List<(AlertDocument Alert, bool IsNew)> alerts, CancellationToken cancellationToken)
    {
        List<AlertDocument> documents = [.. alerts.Select(a => a.Alert)];
        await sink.WriteAsync([], documents, cancellationToken).ConfigureAwait(false);
        var publishes = alerts.Select(a => PublishAsync(a.Alert, cancellationToken)).ToList();
        var acks = await Task.WhenAll(publishes).ConfigureAwait(false);
        if (_lineage is { } lineage)
        {
            var byAlert = new Dictionary<string, PubAck>(StringComparer.Ordinal);
            for (int i = 0; i < documents.Count; i++) byAlert[documents[i].AlertId] = acks[i];
            await lineage.Recorder.RecordAlertsAsync(EventPipeline.DescribeAlerts(lineage, documents, NoRecordSubjects, SystemClock.Instance.GetCurrentInstant(), byAlert), cancellationToken).ConfigureAwait(false);
        }
        foreach (var (alert, isNew) in alerts)
        {
            Interlocked.Increment(ref isNew ? ref _alertsRaised : ref _alertsUpdated);
            AlertIndexed?.Invoke(alert, isNew);
        }
    }

    private static readonly Dictionary<string, IReadOnlyList<string>> NoRecordSubjects = new(StringComparer.Ordinal);

    private async Task<PubAck> PublishAsync(AlertDocument alert, CancellationToken cancellationToken)
    {
        var headers = new NatsHeaders { { "Siem-Alert-Id", alert.AlertId }, { "Siem-Rule-Id", alert.RuleId } };
        string level = alert.Level.ToLowerInvariant();
        string subject = $"{_alertPrefix}.{(level is "informational" or "low" or "medium" or "high" or "critical" ? level : "unknown")}";
        try
        {
            return await _context.Js.PublishAsync(subject, AlertJson.Serialize(alert), headers, $"{alert.AlertId}:{alert.Count}", cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            // Channels deliver from SIEM_ALERTS: an alert not published there would never reach them. The partition starts
            // over from its saved state, and the replay raises (and upserts) the same alert and publishes it again.
            Interlocked.Increment(ref _alertPublishErrors);
            _log($"publishing correlation alert {alert.AlertId} ({alert.RuleId}) failed: {ex.Message}; its partition replays from the last save");
            throw;
        }
    }

    private void OnMalformed(int partition, ulong seq, string why)
    {
        Interlocked.Increment(ref _malformed);
        _log($"partition {partition}: SIEM_CORR message {seq} skipped: {why}");
    }

    private void OnUnknown(int partition, string rule)
    {
        // Engines with different rule sets: the contribution is for a correlation this engine does not load.
        if (Interlocked.Increment(ref _unknown) <= 10)
            _log($"partition {partition}: contribution for correlation '{rule}', which this engine does not load, skipped (load the same rules on every engine)");
    }
}
