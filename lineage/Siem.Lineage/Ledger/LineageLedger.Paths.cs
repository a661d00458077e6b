namespace Siem.Lineage.Ledger;

public sealed partial class LineageLedger
{
    /// <summary>The whole path of a record (every copy, its alerts and their deliveries), or null when the ledger does not know it.</summary>
    public Task<RecordPath?> RecordPathAsync(string recordId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(recordId);
        return LockedAsync(() =>
        {
            using var cmd = Command($"SELECT {RecordColumns} FROM records r WHERE r.record_id = $r ORDER BY r.received_at, r.stream, r.stream_seq", null);
            cmd.Parameters.AddWithValue("$r", recordId);
            var copies = ReadRecords(cmd);
            if (copies.Count == 0) return null;
            using var alertIds = Command("SELECT alert_id FROM alert_records WHERE record_id = $r ORDER BY alert_id", null);
            alertIds.Parameters.AddWithValue("$r", recordId);
            var alerts = ReadAlerts(ReadStrings(alertIds), null);
            FillIds(alerts.Select(a => a.AlertId), null);
            var deliveries = ReadDeliveries(null);
            using var subjects = Command("SELECT count(*) FROM record_subjects WHERE record_id = $r", null);
            subjects.Parameters.AddWithValue("$r", recordId);
            return new RecordPath(recordId, copies, alerts, deliveries, Convert.ToInt32(subjects.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }, cancellationToken);
    }

    /// <summary>The whole path of an alert (its records' copies and its deliveries), or null when the ledger does not know it.</summary>
    public Task<AlertPath?> AlertPathAsync(string alertId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(alertId);
        return LockedAsync(() =>
        {
            var found = ReadAlerts([alertId], null);
            if (found.Count == 0) return null;
            var alert = found[0];
            FillIds(alert.RecordIds, null);
            using var cmd = Command($"SELECT {RecordColumns} FROM temp.ids i JOIN records r ON r.record_id = i.id ORDER BY r.event_time, r.record_id, r.stream_seq", null);
            var records = ReadRecords(cmd);
            FillIds([alertId], null);
            var deliveries = ReadDeliveries(null);
            using var subjects = Command("SELECT count(*) FROM alert_subjects WHERE alert_id = $a", null);
            subjects.Parameters.AddWithValue("$a", alertId);
            return (AlertPath?)new AlertPath(alert, records, deliveries, Convert.ToInt32(subjects.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture));
        }, cancellationToken);
    }
}
