using Microsoft.Data.Sqlite;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Per agent: the highest batch sequence processed and the JetStream stream sequence of the message that carried it,
/// persisted in <c>&lt;data&gt;/engine-state.db</c>. An agent publishes its batches in sequence order, so the stream
/// stores them in that order; a batch that is not higher than the high-water mark is legitimate only if the
/// stream stored it no later than the high-water message (a redelivery or a message processed out of order after a
/// nak). One stored later is a copy published again — a replay — even when its Nats-Msg-Id is new or the
/// broker's duplicate window has passed.
/// </summary>
public sealed class BatchSequenceTracker : IDisposable
{
    private readonly SqliteConnection _db;
    private readonly Dictionary<string, (ulong BatchSeq, ulong StreamSeq)> _committed = new(StringComparer.Ordinal);

    public BatchSequenceTracker(string dataDir)
    {
        Directory.CreateDirectory(dataDir);
        _db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDir, "engine-state.db"), Pooling = false }.ToString());
        _db.Open();
        using (var setup = _db.CreateCommand())
        {
            setup.CommandText = """
                PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA busy_timeout=10000;
                CREATE TABLE IF NOT EXISTS agent_seq (agent_id TEXT PRIMARY KEY, batch_seq INTEGER NOT NULL, stream_seq INTEGER NOT NULL);
                """;
            setup.ExecuteNonQuery();
        }
        using var cmd = _db.CreateCommand();
        cmd.CommandText = "SELECT agent_id, batch_seq, stream_seq FROM agent_seq";
        using var r = cmd.ExecuteReader();
        while (r.Read()) _committed[r.GetString(0)] = ((ulong)r.GetInt64(1), (ulong)r.GetInt64(2));
    }

    /// <summary>Classifies a batch against the committed state plus <paramref name="pending"/> (batches accepted earlier in
    /// the same group, not yet committed), and records it in <paramref name="pending"/> when it raises the mark.</summary>
    public SequenceVerdict Classify(string agentId, ulong batchSeq, ulong streamSeq, Dictionary<string, (ulong BatchSeq, ulong StreamSeq)> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        bool known = pending.TryGetValue(agentId, out var mark) || _committed.TryGetValue(agentId, out mark);
        if (!known || batchSeq > mark.BatchSeq)
        {
            pending[agentId] = (batchSeq, streamSeq);
            return SequenceVerdict.New;
        }
        return streamSeq <= mark.StreamSeq ? SequenceVerdict.Redelivery : SequenceVerdict.Replay;
    }

    /// <summary>Persists the marks raised by a group whose records are safely indexed.</summary>
    public void Commit(Dictionary<string, (ulong BatchSeq, ulong StreamSeq)> pending)
    {
        ArgumentNullException.ThrowIfNull(pending);
        if (pending.Count == 0) return;
        using var tx = _db.BeginTransaction();
        using var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = """
            INSERT INTO agent_seq(agent_id, batch_seq, stream_seq) VALUES ($a, $b, $s)
            ON CONFLICT(agent_id) DO UPDATE SET batch_seq = excluded.batch_seq, stream_seq = excluded.stream_seq
            WHERE excluded.batch_seq > agent_seq.batch_seq
            """;
        foreach (var (agent, mark) in pending)
        {
            cmd.Parameters.Clear();
            cmd.Parameters.AddWithValue("$a", agent);
            cmd.Parameters.AddWithValue("$b", (long)mark.BatchSeq);
            cmd.Parameters.AddWithValue("$s", (long)mark.StreamSeq);
            cmd.ExecuteNonQuery();
        }
        tx.Commit();
        foreach (var (agent, mark) in pending)
        {
            if (!_committed.TryGetValue(agent, out var old) || mark.BatchSeq > old.BatchSeq) _committed[agent] = mark;
        }
    }

    public void Dispose() => _db.Dispose();
}
