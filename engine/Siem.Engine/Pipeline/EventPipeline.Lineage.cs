using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;
using Siem.Lineage.Hops;
using Siem.Nats.JetStream;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Lineage: after the index confirmed a group and before its messages are acked, each message's records are reported
/// as one <see cref="BatchLineage"/> (source → agent batch → stream/seq → this engine → index, with subject ids) and the
/// group's published alerts as <see cref="AlertLineage"/> naming their alerts-stream messages. A failed report naks the group like a failed index write (the index
/// write is idempotent, so the redelivery only adds the missing lineage). No <see cref="Lineage"/> = no reporting.
/// </summary>
public sealed partial class EventPipeline
{
    private long _lineageErrors;

    /// <summary>Where lineage hops go, and how subjects are pseudonymized; null = no lineage.</summary>
    public PipelineLineage? Lineage { get; init; }

    /// <summary>Groups naked because their lineage could not be recorded.</summary>
    public long LineageErrors => Interlocked.Read(ref _lineageErrors);

    /// <summary>The records of one accepted message inside a group's event list.</summary>
    internal readonly record struct MessageSpan(NatsJSMsg Msg, string AgentId, ulong BatchSeq, int First, int Count);

    // Alert hops of groups whose lineage failed: the redelivered group does not raise those alerts again (the suppressor
    // already folded their records), so they are carried over and sent with the next group's hops. One per published
    // message: a later state of the same alert does not replace the hop naming an earlier one.
    private readonly Dictionary<(string AlertId, ulong? StreamSeq), AlertLineage> _pendingAlertLineage = [];

    /// <summary>Records the group's batch hops and the hops of its alerts that were published (<paramref name="acks"/>; the others go with a later group).</summary>
    private async Task<bool> TryRecordLineageAsync(PipelineLineage lineage, List<MessageSpan> spans, List<LogEvent> events, List<AlertDocument> alerts, IReadOnlyDictionary<string, PubAck> acks, CancellationToken cancellationToken)
    {
        var indexedAt = SystemClock.Instance.GetCurrentInstant();
        var batches = new List<BatchLineage>(spans.Count);
        var subjectsByRecord = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        foreach (var span in spans)
        {
            var records = new RecordLineage[span.Count];
            for (int i = 0; i < span.Count; i++)
            {
                records[i] = lineage.Describe(events[span.First + i]);
                if (alerts.Count > 0) subjectsByRecord[records[i].RecordId] = records[i].SubjectIds;
            }
            var meta = span.Msg.Metadata;
            batches.Add(new BatchLineage(span.AgentId, span.BatchSeq, meta.Stream, meta.StreamSeq, lineage.EngineInstance,
                lineage.Index, Instant.FromDateTimeOffset(meta.Timestamp), indexedAt, records));
        }
        foreach (var a in DescribeAlerts(lineage, [.. alerts.Where(a => acks.ContainsKey(a.AlertId))], subjectsByRecord, indexedAt, acks))
            _pendingAlertLineage[(a.AlertId, a.StreamSeq)] = a;
        try
        {
            // All of the group's batch hops in flight at once: one round trip of PubAcks, not one per message.
            var inFlight = new Task[batches.Count];
            for (int i = 0; i < batches.Count; i++) inFlight[i] = lineage.Recorder.RecordBatchAsync(batches[i], cancellationToken).AsTask();
            await Task.WhenAll(inFlight).ConfigureAwait(false);
            if (_pendingAlertLineage.Count > 0)
                await lineage.Recorder.RecordAlertsAsync([.. _pendingAlertLineage.Values], cancellationToken).ConfigureAwait(false);
            _pendingAlertLineage.Clear();
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _lineageErrors);
            Log($"recording lineage of {events.Count} events from {spans.Count} messages failed, will be redelivered: {ex.GetType().Name}: {ex.Message}");
            return false;
        }
    }

    /// <summary>Alerts emitted outside a group (correlations flushed at end of input): their records were reported with their batches.</summary>
    private async Task RecordFlushedAlertsLineageAsync(List<AlertDocument> alerts, IReadOnlyDictionary<string, PubAck> acks, CancellationToken cancellationToken)
    {
        if (Lineage is not { } lineage || alerts.Count == 0) return;
        var none = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        await lineage.Recorder.RecordAlertsAsync(DescribeAlerts(lineage, alerts, none, SystemClock.Instance.GetCurrentInstant(), acks), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The alerts' hops, each naming the alerts-stream message its PubAck in <paramref name="acks"/> reports (none when it was not published).</summary>
    internal static List<AlertLineage> DescribeAlerts(PipelineLineage lineage, List<AlertDocument> alerts, IReadOnlyDictionary<string, IReadOnlyList<string>> subjectsByRecord, Instant at, IReadOnlyDictionary<string, PubAck> acks)
    {
        var list = new List<AlertLineage>(alerts.Count);
        foreach (var a in alerts)
        {
            var ack = acks.GetValueOrDefault(a.AlertId);
            list.Add(new AlertLineage(a.AlertId, a.RuleId, a.RecordIds, lineage.AlertSubjects(a.RecordIds, subjectsByRecord, a.GroupBy, a.Fields), lineage.Index, at,
                ack?.Stream, ack?.Seq));
        }
        return list;
    }
}
