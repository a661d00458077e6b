using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

public sealed partial class EventPipeline
{
    private readonly List<DetectionHit> _hits = [];
    private (List<AlertDocument> Alerts, List<bool> IsNew)? _carriedAlerts;

    /// <summary>Adds the alerts of a group whose write failed to this group's (the newer state of an alert wins).</summary>
    private void CarryOver(List<AlertDocument> alerts, List<bool> isNew)
    {
        if (_carriedAlerts is not { } carried) return;
        for (int i = 0; i < carried.Alerts.Count; i++)
        {
            int at = alerts.FindIndex(a => a.AlertId == carried.Alerts[i].AlertId);
            if (at >= 0)
            {
                isNew[at] |= carried.IsNew[i];
                continue;
            }
            alerts.Add(carried.Alerts[i]);
            isNew.Add(carried.IsNew[i]);
        }
    }

    internal async Task ProcessGroupAsync(List<OpenedMessage> group, CancellationToken cancellationToken)
    {
        var accepted = new List<NatsJSMsg>(group.Count);
        var events = new List<LogEvent>();
        var sequences = new SequenceGroup();
        var spans = Lineage != null ? new List<MessageSpan>(group.Count) : null;
        foreach (var opened in group)
        {
            List<LogEvent>? batch;
            string? reason, detail;
            using (Stats.Cpu.Measure(PipelineStage.Open)) (batch, reason, detail) = Admit(opened, sequences);
            var msg = opened.Msg;
            if (batch == null)
            {
                await QuarantineAsync(msg, reason!, detail ?? "", cancellationToken).ConfigureAwait(false);
                continue;
            }
            accepted.Add(msg);
            int start = events.Count;
            AddUnlessPurged(batch, events);
            spans?.Add(new MessageSpan(msg, opened.AgentId!, opened.BatchSeq, start, events.Count - start));
        }
        if (accepted.Count == 0) return;

        _hits.Clear();
        CorrelationOutbox?.Discard(); // left over from a group that was not committed; its redelivery routes them again
        using (Stats.Cpu.Measure(PipelineStage.Detect))
        {
            foreach (var e in events) _detector.Detect(e, _hits);
        }
        List<AlertDocument> alerts;
        List<bool> isNew;
        using (Stats.Cpu.Measure(PipelineStage.Fold))
        {
            alerts = FoldHits(_hits, out isNew);
            CarryOver(alerts, isNew);
            DeferUpdates(alerts, isNew);
        }

        bool published = false;
        try
        {
            using (Stats.Cpu.Measure(PipelineStage.Index)) await _sink.WriteAsync(events, alerts, cancellationToken).ConfigureAwait(false);
            if (Lineage is { } lineage)
            {
                // Published before their hops are recorded, so each hop names its alerts-stream message (a purge fetches
                // those by sequence); announced after, so whoever hears of an alert finds its lineage.
                var acks = new Dictionary<string, PubAck>(StringComparer.Ordinal);
                var unpublished = await PublishAlertsAsync(alerts, isNew, acks, cancellationToken).ConfigureAwait(false);
                published = true;
                bool recorded = await TryRecordLineageAsync(lineage, spans!, events, alerts, acks, cancellationToken).ConfigureAwait(false);
                Announce(alerts, isNew, acks);
                if (unpublished != null || !recorded)
                {
                    // Alerts not in the stream go with the next group (the redelivery will not raise them again); hops not
                    // recorded wait in _pendingAlertLineage.
                    _carriedAlerts = unpublished;
                    await NakAllAsync(accepted, cancellationToken).ConfigureAwait(false);
                    return;
                }
            }
            // Scale-out: the correlation matches reach their partitions before the messages that carry them are acked.
            if (CorrelationOutbox is { } outbox) await outbox.FlushAsync(cancellationToken).ConfigureAwait(false);
            // With a state dir, acks wait for the snapshot and the sequences are persisted with it (one fsync per snapshot).
            using (Stats.Cpu.Measure(PipelineStage.Sequences))
            {
                if (_state == null) _sequences.Commit(sequences);
                else _sequences.Stage(sequences);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Stats.IndexError();
            CorrelationOutbox?.Discard();
            Log($"index write (or correlation routing) of {events.Count} events from {accepted.Count} messages failed, will be redelivered: {ex.GetType().Name}: {ex.Message}");
            // The detector and suppressor already saw these records and will not raise them again on redelivery: keep the
            // alerts for the next write (unless they are in the alerts stream already).
            _carriedAlerts = published ? null : (alerts, isNew);
            await NakAllAsync(accepted, cancellationToken).ConfigureAwait(false);
            return;
        }
        _carriedAlerts = null;
        Stats.Indexed(events.Count);
        if (!published && await PublishAlertsAsync(alerts, isNew, null, cancellationToken).ConfigureAwait(false) is { } notPublished)
        {
            // Channels deliver from the alerts stream, so an alert not in it would never reach them: no ack; the
            // redelivered group re-indexes idempotently and publishes these again (the suppressor will not re-raise them).
            _carriedAlerts = notPublished;
            await NakAllAsync(accepted, cancellationToken).ConfigureAwait(false);
            return;
        }
        // With a state dir the acks wait for the snapshot that covers this group (EventPipeline.Acks.cs).
        await SettleIndexedAsync(accepted, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds the batch's records, except those of subjects purged (the forward filter): they are dropped and counted.</summary>
    private void AddUnlessPurged(List<LogEvent> batch, List<LogEvent> into)
    {
        var filter = _options.ForwardFilter;
        foreach (var e in batch)
        {
            if (filter != null && filter.ShouldDrop(e)) Stats.PurgeDroppedOne();
            else into.Add(e);
        }
    }

    internal static string ReasonFor(EnvelopeFailure failure) => failure switch
    {
        EnvelopeFailure.Malformed => "malformed",
        EnvelopeFailure.UnknownAgent => "unknown_agent",
        EnvelopeFailure.RevokedAgent => "revoked_agent",
        EnvelopeFailure.UnknownKey => "unknown_key",
        EnvelopeFailure.BadSignature => "bad_signature",
        EnvelopeFailure.DecryptFailed => "decrypt_failed",
        _ => "invalid",
    };

    private List<AlertDocument> FoldHits(List<DetectionHit> hits, out List<bool> isNew)
    {
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var alerts = new List<AlertDocument>();
        isNew = [];
        foreach (var hit in hits)
        {
            var doc = _suppressor.Fold(hit, out bool fresh);
            if (doc == null) continue;
            if (byId.TryGetValue(doc.AlertId, out int at))
            {
                // Several hits in one group folded into the same alert: keep the latest state, remember it was new.
                alerts[at] = doc;
                isNew[at] |= fresh;
            }
            else
            {
                byId[doc.AlertId] = alerts.Count;
                alerts.Add(doc);
                isNew.Add(fresh);
            }
        }
        return alerts;
    }

    /// <summary>Alerts published concurrently, this many PubAcks in flight (one at a time cost a round trip per alert).</summary>
    private const int AlertPublishWindow = 256;

    /// <summary>
    /// Null when every alert is in the alerts stream; else the ones that are not (to carry to the next group). Without
    /// <paramref name="acks"/> each published alert is announced at once; with it, its PubAck goes there and the caller
    /// announces it (<see cref="Announce"/>) once its lineage hop names the message.
    /// </summary>
    private async Task<(List<AlertDocument> Alerts, List<bool> IsNew)?> PublishAlertsAsync(List<AlertDocument> alerts, List<bool> isNew, Dictionary<string, PubAck>? acks, CancellationToken cancellationToken)
    {
        (List<AlertDocument> Alerts, List<bool> IsNew)? unpublished = null;
        for (int from = 0; from < alerts.Count; from += AlertPublishWindow)
        {
            int to = Math.Min(alerts.Count, from + AlertPublishWindow);
            var publishes = new Task<PubAck>[to - from];
            using (Stats.Cpu.Measure(PipelineStage.Publish))
            {
                for (int i = from; i < to; i++)
                {
                    var a = alerts[i];
                    var headers = new NatsHeaders { { "Siem-Alert-Id", a.AlertId }, { "Siem-Rule-Id", a.RuleId } };
                    string subject = $"{_options.AlertSubjectPrefix}.{SubjectToken(a.Level)}";
                    publishes[i - from] = _js.PublishAsync(subject, AlertJson.Serialize(a), headers, $"{a.AlertId}:{a.Count}", cancellationToken);
                }
            }
            for (int i = from; i < to; i++)
            {
                var a = alerts[i];
                PubAck ack;
                try
                {
                    ack = await publishes[i - from].ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is NatsException or TimeoutException)
                {
                    // The alert is indexed (searchable); it is published again with the redelivered group.
                    Stats.AlertPublishError();
                    Log($"publishing alert {a.AlertId} ({a.RuleId}) failed, the group is redelivered: {ex.Message}");
                    unpublished ??= ([], []);
                    unpublished.Value.Alerts.Add(a);
                    unpublished.Value.IsNew.Add(isNew[i]);
                    continue;
                }
                if (acks != null) acks[a.AlertId] = ack;
                else Announce(a, isNew[i]);
            }
        }
        return unpublished;
    }

    /// <summary>Announces the alerts that were published (those with a PubAck in <paramref name="acks"/>).</summary>
    private void Announce(List<AlertDocument> alerts, List<bool> isNew, Dictionary<string, PubAck> acks)
    {
        for (int i = 0; i < alerts.Count; i++)
        {
            if (acks.ContainsKey(alerts[i].AlertId)) Announce(alerts[i], isNew[i]);
        }
    }

    private void Announce(AlertDocument alert, bool isNew)
    {
        if (isNew) Stats.AlertRaised(); else Stats.AlertUpdated();
        AlertIndexed?.Invoke(alert, isNew);
    }

    private async Task NakAllAsync(List<NatsJSMsg> msgs, CancellationToken cancellationToken)
    {
        foreach (var msg in msgs)
        {
            try
            {
                await msg.NakAsync(_options.NakDelay, cancellationToken).ConfigureAwait(false);
                Stats.Naked(1);
            }
            catch (NatsException ex)
            {
                Log($"nak failed ({ex.Message}); the message comes back after the ack wait");
            }
            _outstanding.TryRemove(msg, out _);
        }
    }

    private static string SubjectToken(string level)
    {
        string l = level.ToLowerInvariant();
        return l is "informational" or "low" or "medium" or "high" or "critical" ? l : "unknown";
    }
}
