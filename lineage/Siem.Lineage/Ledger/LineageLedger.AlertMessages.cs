using Microsoft.Data.Sqlite;
using Siem.Lineage.Hops;

namespace Siem.Lineage.Ledger;

/// <summary>
/// Which alerts-stream messages hold which alert, so a purge fetches exactly those instead of reading the whole stream.
/// <c>alert_messages</c> has one row per published state of an alert (the stream sequence from its PubAck);
/// <c>alerts.sequenced</c> is 1 only while every hop recorded for the alert named its message (a hop from an engine
/// before this version, or of an alert whose publish failed, clears it for good; rows of ledgers from before this
/// version are 0); <c>stream_coverage</c> keeps the lowest sequence any hop named per stream, so a purge can tell
/// whether the stream still holds messages from before the ledger named them.
/// </summary>
public sealed partial class LineageLedger
{
    /// <summary>Adds <c>alerts.sequenced</c> to a ledger created before alert sequences were recorded (its alerts stay 0: not named).</summary>
    private static void AddAlertSequences(SqliteConnection db)
    {
        using var check = db.CreateCommand();
        check.CommandText = "SELECT count(*) FROM pragma_table_info('alerts') WHERE name = 'sequenced'";
        if ((long)check.ExecuteScalar()! > 0) return;
        Exec(db, "ALTER TABLE alerts ADD COLUMN sequenced INTEGER NOT NULL DEFAULT 0");
    }

    /// <summary>Records the message an alert hop names (if any) and keeps <c>sequenced</c> honest. Runs inside the alert write.</summary>
    private void WriteAlertMessage(AlertLineage a, SqliteTransaction tx)
    {
        bool named = a.Stream != null && a.StreamSeq is > 0;
        using (var flag = Command("UPDATE alerts SET sequenced = min(sequenced, $named) WHERE alert_id = $a", tx))
        {
            Bind(flag, ("$a", a.AlertId), ("$named", named ? 1 : 0));
            flag.ExecuteNonQuery();
        }
        if (!named) return;
        using (var message = Command("INSERT OR IGNORE INTO alert_messages(alert_id, stream, stream_seq) VALUES ($a, $stream, $seq)", tx))
        {
            Bind(message, ("$a", a.AlertId), ("$stream", a.Stream), ("$seq", (long)a.StreamSeq!.Value));
            message.ExecuteNonQuery();
        }
        using var coverage = Command("""
            INSERT INTO stream_coverage(stream, first_seq) VALUES ($stream, $seq)
            ON CONFLICT(stream) DO UPDATE SET first_seq = min(first_seq, excluded.first_seq)
            """, tx);
        Bind(coverage, ("$stream", a.Stream), ("$seq", (long)a.StreamSeq!.Value));
        coverage.ExecuteNonQuery();
    }

    /// <summary>
    /// The messages of <paramref name="stream"/> holding the alerts that concern a subject: those linked to the subject,
    /// to one of <paramref name="recordIds"/>, or named in <paramref name="alertIds"/> (found by value in the index).
    /// Also how many of those alerts the ledger cannot name every message of (unknown to it, or with a hop that had no
    /// sequence), and the lowest sequence the ledger ever named in the stream.
    /// </summary>
    public Task<LedgerAlertMessages> AlertMessagesAsync(string stream, string subjectId, IReadOnlyCollection<string> recordIds, IReadOnlyCollection<string> alertIds, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(stream);
        ArgumentException.ThrowIfNullOrEmpty(subjectId);
        ArgumentNullException.ThrowIfNull(recordIds);
        ArgumentNullException.ThrowIfNull(alertIds);
        return LockedAsync(() =>
        {
            using var tx = _db.BeginTransaction();
            Run(tx, "CREATE TEMP TABLE IF NOT EXISTS alert_set (id TEXT NOT NULL PRIMARY KEY) WITHOUT ROWID; DELETE FROM temp.alert_set;");
            FillIds(recordIds, tx);
            Run(tx, "INSERT OR IGNORE INTO temp.alert_set(id) SELECT ar.alert_id FROM temp.ids i JOIN alert_records ar ON ar.record_id = i.id");
            Run(tx, "INSERT OR IGNORE INTO temp.alert_set(id) SELECT alert_id FROM alert_subjects WHERE subject_id = $s", subjectId);
            FillIds(alertIds, tx);
            Run(tx, "INSERT OR IGNORE INTO temp.alert_set(id) SELECT id FROM temp.ids");

            var alerts = new List<string>();
            using (var all = Command("SELECT id FROM temp.alert_set ORDER BY id", tx)) alerts.AddRange(ReadStrings(all));
            int unnamed = Scalar(tx, "SELECT count(*) FROM temp.alert_set s LEFT JOIN alerts a ON a.alert_id = s.id WHERE a.alert_id IS NULL OR a.sequenced = 0");
            var sequences = new List<ulong>();
            using (var seqs = Command("SELECT DISTINCT m.stream_seq FROM temp.alert_set s JOIN alert_messages m ON m.alert_id = s.id WHERE m.stream = $stream ORDER BY 1", tx))
            {
                seqs.Parameters.AddWithValue("$stream", stream);
                using var reader = seqs.ExecuteReader();
                while (reader.Read()) sequences.Add((ulong)reader.GetInt64(0));
            }
            ulong? firstNamed = null;
            using (var first = Command("SELECT first_seq FROM stream_coverage WHERE stream = $stream", tx))
            {
                first.Parameters.AddWithValue("$stream", stream);
                if (first.ExecuteScalar() is long f) firstNamed = (ulong)f;
            }
            tx.Commit();
            return new LedgerAlertMessages(alerts, sequences, unnamed, firstNamed);
        }, cancellationToken);
    }
}
