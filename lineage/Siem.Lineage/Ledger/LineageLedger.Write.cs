using Microsoft.Data.Sqlite;
using Siem.Lineage.Hops;

namespace Siem.Lineage.Ledger;

public sealed partial class LineageLedger
{
    /// <summary>Stores a batch's hops and its records' subject links in one transaction; a repeat stores nothing new.</summary>
    public ValueTask RecordBatchAsync(BatchLineage batch, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(batch);
        return new ValueTask(LockedAsync(() =>
        {
            using var tx = _db.BeginTransaction();
            WriteBatch(batch, tx);
            tx.Commit();
            return 0;
        }, cancellationToken));
    }

    /// <summary>Several hops in one transaction (the ledger consumer's unit of work): batches first, so alerts inherit their subjects.</summary>
    internal Task RecordHopsAsync(IReadOnlyList<BatchLineage> batches, IReadOnlyList<AlertLineage> alerts, IReadOnlyList<DeliveryLineage> deliveries, CancellationToken cancellationToken = default) =>
        LockedAsync(() =>
        {
            using var tx = _db.BeginTransaction();
            foreach (var b in batches) WriteBatch(b, tx);
            if (alerts.Count > 0) WriteAlerts(alerts, tx);
            foreach (var d in deliveries) WriteDelivery(d, tx);
            tx.Commit();
            return 0;
        }, cancellationToken);

    private void WriteBatch(BatchLineage batch, SqliteTransaction tx)
    {
        using var rec = Command("""
            INSERT OR IGNORE INTO records(record_id, stream, stream_seq, agent_id, batch_seq, host_name, source_kind, source,
              src_offset, event_time, engine, idx, received_at, indexed_at)
            VALUES ($r, $stream, $seq, $agent, $batch, $host, $kind, $source, $offset, $time, $engine, $idx, $received, $indexed)
            """, tx);
        rec.Parameters.AddWithValue("$stream", batch.Stream);
        rec.Parameters.AddWithValue("$seq", (long)batch.StreamSeq);
        rec.Parameters.AddWithValue("$agent", batch.AgentId);
        rec.Parameters.AddWithValue("$batch", (long)batch.BatchSeq);
        rec.Parameters.AddWithValue("$engine", batch.EngineInstance);
        rec.Parameters.AddWithValue("$idx", batch.Index);
        rec.Parameters.AddWithValue("$received", Ticks(batch.ReceivedAt));
        rec.Parameters.AddWithValue("$indexed", Ticks(batch.IndexedAt));
        var rId = rec.Parameters.Add("$r", SqliteType.Text);
        var rHost = rec.Parameters.Add("$host", SqliteType.Text);
        var rKind = rec.Parameters.Add("$kind", SqliteType.Text);
        var rSource = rec.Parameters.Add("$source", SqliteType.Text);
        var rOffset = rec.Parameters.Add("$offset", SqliteType.Integer);
        var rTime = rec.Parameters.Add("$time", SqliteType.Integer);
        using var subj = Command("INSERT OR IGNORE INTO record_subjects(subject_id, record_id, event_time) VALUES ($s, $r, $time)", tx);
        var sId = subj.Parameters.Add("$s", SqliteType.Text);
        var sRecord = subj.Parameters.Add("$r", SqliteType.Text);
        var sTime = subj.Parameters.Add("$time", SqliteType.Integer);
        foreach (var r in batch.Records)
        {
            rId.Value = r.RecordId;
            rHost.Value = (object?)r.HostName ?? DBNull.Value;
            rKind.Value = (object?)r.SourceKind ?? DBNull.Value;
            rSource.Value = (object?)r.Source ?? DBNull.Value;
            rOffset.Value = r.Offset is { } o ? o : DBNull.Value;
            rTime.Value = Ticks(r.EventTime);
            rec.ExecuteNonQuery();
            sRecord.Value = r.RecordId;
            sTime.Value = Ticks(r.EventTime);
            foreach (var s in r.SubjectIds)
            {
                sId.Value = s;
                subj.ExecuteNonQuery();
            }
        }
    }

    /// <summary>
    /// Stores alerts, their records and their subjects: the subjects named in the hop plus every subject the ledger
    /// already links to one of the alert's records (a correlation alert's earlier records were recorded with their batches).
    /// </summary>
    public ValueTask RecordAlertsAsync(IReadOnlyList<AlertLineage> alerts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alerts);
        if (alerts.Count == 0) return ValueTask.CompletedTask;
        return new ValueTask(LockedAsync(() =>
        {
            using var tx = _db.BeginTransaction();
            WriteAlerts(alerts, tx);
            tx.Commit();
            return 0;
        }, cancellationToken));
    }

    private void WriteAlerts(IReadOnlyList<AlertLineage> alerts, SqliteTransaction tx)
    {
        // A new alert starts as sequenced; WriteAlertMessage clears the flag when this hop names no message.
        using var alert = Command("INSERT OR IGNORE INTO alerts(alert_id, rule_id, idx, at, sequenced) VALUES ($a, $rule, $idx, $at, 1)", tx);
        using var link = Command("INSERT OR IGNORE INTO alert_records(alert_id, record_id) VALUES ($a, $r)", tx);
        using var subject = Command("INSERT OR IGNORE INTO alert_subjects(subject_id, alert_id) VALUES ($s, $a)", tx);
        using var inherit = Command("INSERT OR IGNORE INTO alert_subjects(subject_id, alert_id) SELECT subject_id, $a FROM record_subjects WHERE record_id = $r", tx);
        foreach (var a in alerts)
        {
            Bind(alert, ("$a", a.AlertId), ("$rule", a.RuleId), ("$idx", a.Index), ("$at", Ticks(a.At)));
            alert.ExecuteNonQuery();
            WriteAlertMessage(a, tx);
            foreach (var r in a.RecordIds)
            {
                Bind(link, ("$a", a.AlertId), ("$r", r));
                link.ExecuteNonQuery();
                Bind(inherit, ("$a", a.AlertId), ("$r", r));
                inherit.ExecuteNonQuery();
            }
            foreach (var s in a.SubjectIds)
            {
                Bind(subject, ("$s", s), ("$a", a.AlertId));
                subject.ExecuteNonQuery();
            }
        }
    }

    public ValueTask RecordDeliveryAsync(DeliveryLineage delivery, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        return new ValueTask(LockedAsync(() => WriteDelivery(delivery, null), cancellationToken));
    }

    private int WriteDelivery(DeliveryLineage delivery, SqliteTransaction? tx)
    {
        using var cmd = Command("""
            INSERT OR IGNORE INTO deliveries(alert_id, channel, outcome, at, dead_letter_id) VALUES ($a, $c, $o, $at, $dl)
            """, tx);
        Bind(cmd, ("$a", delivery.AlertId), ("$c", delivery.Channel), ("$o", delivery.Outcome), ("$at", Ticks(delivery.At)), ("$dl", delivery.DeadLetterId));
        return cmd.ExecuteNonQuery();
    }

    private static void Bind(SqliteCommand cmd, params (string Name, object? Value)[] values)
    {
        foreach (var (name, value) in values)
        {
            if (cmd.Parameters.Contains(name)) cmd.Parameters[name].Value = value ?? DBNull.Value;
            else cmd.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
    }
}
