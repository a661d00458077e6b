using Microsoft.Data.Sqlite;
using NodaTime;

namespace Siem.Lineage.Ledger;

public sealed partial class LineageLedger
{
    private const string RecordColumns = """
        r.record_id, r.agent_id, r.host_name, r.source_kind, r.source, r.src_offset, r.event_time, r.batch_seq,
        r.stream, r.stream_seq, r.engine, r.idx, r.received_at, r.indexed_at
        """;

    /// <summary>Every stored copy of every record of a subject, optionally only records whose event time is in [from, to).</summary>
    public Task<IReadOnlyList<LedgerRecord>> RecordsOfSubjectAsync(string subjectId, Instant? from = null, Instant? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return LockedAsync<IReadOnlyList<LedgerRecord>>(() =>
        {
            using var cmd = Command($"""
                SELECT {RecordColumns} FROM record_subjects s JOIN records r ON r.record_id = s.record_id
                WHERE s.subject_id = $s AND s.event_time >= $from AND s.event_time < $to ORDER BY r.record_id, r.stream, r.stream_seq
                """, null);
            BindSubjectScope(cmd, subjectId, from, to);
            return ReadRecords(cmd);
        }, cancellationToken);
    }

    /// <summary>The ids of a subject's records (each once), optionally only records whose event time is in [from, to).</summary>
    public Task<IReadOnlyList<string>> RecordIdsOfSubjectAsync(string subjectId, Instant? from = null, Instant? to = null, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return LockedAsync<IReadOnlyList<string>>(() =>
        {
            using var cmd = Command("SELECT record_id FROM record_subjects WHERE subject_id = $s AND event_time >= $from AND event_time < $to ORDER BY record_id", null);
            BindSubjectScope(cmd, subjectId, from, to);
            return ReadStrings(cmd);
        }, cancellationToken);
    }

    /// <summary>Every alert linked to a subject (through its records or its group-by values).</summary>
    public Task<IReadOnlyList<LedgerAlert>> AlertsOfSubjectAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return LockedAsync<IReadOnlyList<LedgerAlert>>(() =>
        {
            using var cmd = Command("SELECT alert_id FROM alert_subjects WHERE subject_id = $s", null);
            cmd.Parameters.AddWithValue("$s", subjectId);
            return ReadAlerts(ReadStrings(cmd), null);
        }, cancellationToken);
    }

    /// <summary>Every alert built from at least one of <paramref name="recordIds"/>.</summary>
    public Task<IReadOnlyList<LedgerAlert>> AlertsOfRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        return LockedAsync<IReadOnlyList<LedgerAlert>>(() =>
        {
            FillIds(recordIds, null);
            using var cmd = Command("SELECT DISTINCT a.alert_id FROM temp.ids i JOIN alert_records a ON a.record_id = i.id", null);
            return ReadAlerts(ReadStrings(cmd), null);
        }, cancellationToken);
    }

    /// <summary>The JetStream messages that carried <paramref name="recordIds"/>, each with every record it carried (the subject's and others').</summary>
    public Task<IReadOnlyList<StreamMessage>> StreamMessagesOfRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        return LockedAsync<IReadOnlyList<StreamMessage>>(() =>
        {
            FillIds(recordIds, null);
            using var cmd = Command("""
                SELECT m.stream, m.stream_seq, m.agent_id, m.batch_seq, m.record_id FROM records m
                WHERE (m.stream, m.stream_seq) IN (SELECT DISTINCT r.stream, r.stream_seq FROM temp.ids i JOIN records r ON r.record_id = i.id)
                ORDER BY m.stream, m.stream_seq, m.record_id
                """, null);
            var messages = new List<StreamMessage>();
            using var reader = cmd.ExecuteReader();
            List<string>? current = null;
            while (reader.Read())
            {
                string stream = reader.GetString(0);
                ulong seq = (ulong)reader.GetInt64(1);
                if (current == null || messages[^1].Stream != stream || messages[^1].StreamSeq != seq)
                {
                    current = [];
                    messages.Add(new StreamMessage(stream, seq, reader.GetString(2), (ulong)reader.GetInt64(3), current));
                }
                current.Add(reader.GetString(4));
            }
            return messages;
        }, cancellationToken);
    }

    /// <summary>Every delivery of <paramref name="alertIds"/> to a channel, oldest first.</summary>
    public Task<IReadOnlyList<LedgerDelivery>> DeliveriesOfAlertsAsync(IReadOnlyCollection<string> alertIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        return LockedAsync<IReadOnlyList<LedgerDelivery>>(() =>
        {
            FillIds(alertIds, null);
            return ReadDeliveries(null);
        }, cancellationToken);
    }

    /// <summary>The subject ids each of <paramref name="alertIds"/> concerns (an alert concerning others is redacted, not deleted).</summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> SubjectsOfAlertsAsync(IReadOnlyCollection<string> alertIds, CancellationToken cancellationToken = default) =>
        SubjectsOfAsync("SELECT s.alert_id, s.subject_id FROM temp.ids i JOIN alert_subjects s ON s.alert_id = i.id ORDER BY 1, 2", alertIds, cancellationToken);

    /// <summary>The subject ids each of <paramref name="recordIds"/> concerns.</summary>
    public Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> SubjectsOfRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default) =>
        SubjectsOfAsync("SELECT s.record_id, s.subject_id FROM temp.ids i JOIN record_subjects s ON s.record_id = i.id ORDER BY 1, 2", recordIds, cancellationToken);

    /// <summary>Rows that still name <paramref name="subjectId"/> (subject index and alert links; tombstones excluded). Zero after a purge.</summary>
    public Task<long> CountSubjectRowsAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return LockedAsync(() =>
        {
            using var cmd = Command("SELECT (SELECT count(*) FROM record_subjects WHERE subject_id = $s) + (SELECT count(*) FROM alert_subjects WHERE subject_id = $s)", null);
            cmd.Parameters.AddWithValue("$s", subjectId);
            return (long)cmd.ExecuteScalar()!;
        }, cancellationToken);
    }

    /// <summary>The tombstones purges left for <paramref name="subjectId"/>.</summary>
    public Task<IReadOnlyList<LedgerTombstone>> TombstonesOfAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        return LockedAsync<IReadOnlyList<LedgerTombstone>>(() =>
        {
            using var cmd = Command("SELECT subject_id, purge_id, records, alerts_deleted, alerts_redacted, at FROM tombstones WHERE subject_id = $s ORDER BY at", null);
            cmd.Parameters.AddWithValue("$s", subjectId);
            return ReadTombstones(cmd);
        }, cancellationToken);
    }

    private Task<IReadOnlyDictionary<string, IReadOnlyList<string>>> SubjectsOfAsync(string sql, IReadOnlyCollection<string> ids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return LockedAsync<IReadOnlyDictionary<string, IReadOnlyList<string>>>(() =>
        {
            FillIds(ids, null);
            using var cmd = Command(sql, null);
            var map = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
            using var reader = cmd.ExecuteReader();
            while (reader.Read())
            {
                if (!map.TryGetValue(reader.GetString(0), out var list)) map[reader.GetString(0)] = list = new List<string>();
                ((List<string>)list).Add(reader.GetString(1));
            }
            return map;
        }, cancellationToken);
    }

    private static void BindSubjectScope(SqliteCommand cmd, string subjectId, Instant? from, Instant? to)
    {
        cmd.Parameters.AddWithValue("$s", subjectId);
        cmd.Parameters.AddWithValue("$from", from is { } f ? Ticks(f) : long.MinValue);
        cmd.Parameters.AddWithValue("$to", to is { } t ? Ticks(t) : long.MaxValue);
    }

    /// <summary>The alerts with these ids (in id order), each with its record ids. Runs under the lock.</summary>
    private List<LedgerAlert> ReadAlerts(IReadOnlyList<string> alertIds, SqliteTransaction? tx)
    {
        FillIds(alertIds, tx);
        using var cmd = Command("""
            SELECT a.alert_id, a.rule_id, a.idx, a.at, ar.record_id FROM temp.ids i JOIN alerts a ON a.alert_id = i.id
            LEFT JOIN alert_records ar ON ar.alert_id = a.alert_id ORDER BY a.alert_id, ar.record_id
            """, tx);
        var alerts = new List<LedgerAlert>();
        using var reader = cmd.ExecuteReader();
        List<string>? records = null;
        while (reader.Read())
        {
            string id = reader.GetString(0);
            if (records == null || alerts[^1].AlertId != id)
            {
                records = [];
                alerts.Add(new LedgerAlert(id, reader.GetString(1), reader.GetString(2), FromTicks(reader.GetInt64(3)), records));
            }
            if (!reader.IsDBNull(4)) records.Add(reader.GetString(4));
        }
        return alerts;
    }

    /// <summary>Deliveries of the alerts in temp.ids. Runs under the lock.</summary>
    private List<LedgerDelivery> ReadDeliveries(SqliteTransaction? tx)
    {
        using var cmd = Command("""
            SELECT d.alert_id, d.channel, d.outcome, d.at, d.dead_letter_id FROM temp.ids i JOIN deliveries d ON d.alert_id = i.id
            ORDER BY d.at, d.alert_id, d.channel
            """, tx);
        var list = new List<LedgerDelivery>();
        using var reader = cmd.ExecuteReader();
        while (reader.Read())
            list.Add(new LedgerDelivery(reader.GetString(0), reader.GetString(1), reader.GetString(2), FromTicks(reader.GetInt64(3)), reader.IsDBNull(4) ? null : reader.GetString(4)));
        return list;
    }

    private static List<LedgerRecord> ReadRecords(SqliteCommand cmd)
    {
        var list = new List<LedgerRecord>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
        {
            list.Add(new LedgerRecord(
                r.GetString(0), r.GetString(1), r.IsDBNull(2) ? null : r.GetString(2), r.IsDBNull(3) ? null : r.GetString(3),
                r.IsDBNull(4) ? null : r.GetString(4), r.IsDBNull(5) ? null : r.GetInt64(5), FromTicks(r.GetInt64(6)),
                (ulong)r.GetInt64(7), r.GetString(8), (ulong)r.GetInt64(9), r.GetString(10), r.GetString(11),
                FromTicks(r.GetInt64(12)), FromTicks(r.GetInt64(13))));
        }
        return list;
    }

    private static List<string> ReadStrings(SqliteCommand cmd)
    {
        var list = new List<string>();
        using var r = cmd.ExecuteReader();
        while (r.Read()) list.Add(r.GetString(0));
        return list;
    }

    private static List<LedgerTombstone> ReadTombstones(SqliteCommand cmd)
    {
        var list = new List<LedgerTombstone>();
        using var r = cmd.ExecuteReader();
        while (r.Read())
            list.Add(new LedgerTombstone(r.GetString(0), r.GetString(1), r.GetInt64(2), r.GetInt64(3), r.GetInt64(4), FromTicks(r.GetInt64(5))));
        return list;
    }
}
