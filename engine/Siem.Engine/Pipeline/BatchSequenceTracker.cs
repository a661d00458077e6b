using Microsoft.Data.Sqlite;

namespace Siem.Engine.Pipeline;

/// <summary>
/// Per agent, persisted in <c>&lt;data&gt;/engine-state.db</c>: the highest batch sequence processed (with the stream
/// sequence of the message that carried it) and every batch processed within the last <see cref="ReplayWindow"/>
/// sequences. A batch not higher than the mark is
/// <list type="bullet">
/// <item>a redelivery when it was processed from this same stream message, or was stored before the mark's message
/// and not processed yet (out-of-order processing after a nak, another engine);</item>
/// <item>a replay when it was already processed from a different message (re-published, even with a new
/// Nats-Msg-Id), or is older than the window, so nobody can tell;</item>
/// <item>new otherwise: a batch the broker stored only after a later one (the agent retried it after a failure),
/// which the engine never indexed — refusing it would lose its lines.</item>
/// </list>
/// </summary>
public sealed class BatchSequenceTracker : IDisposable
{
    /// <summary>How many batch sequences below an agent's mark are remembered individually.</summary>
    public const ulong ReplayWindow = 100_000;

    private readonly SqliteConnection _db;
    private readonly SqliteCommand _lookup;
    /// <summary>Per agent, the highest mark of every group committed or staged (what <see cref="Classify"/> compares with).</summary>
    private readonly Dictionary<string, (ulong BatchSeq, ulong StreamSeq)> _committed = new(StringComparer.Ordinal);
    /// <summary>Groups staged since the last <see cref="Flush"/>, merged: processed, but not on disk yet.</summary>
    private SequenceGroup _staged = new();

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
                CREATE TABLE IF NOT EXISTS agent_batch (agent_id TEXT NOT NULL, batch_seq INTEGER NOT NULL, stream_seq INTEGER NOT NULL,
                    PRIMARY KEY (agent_id, batch_seq)) WITHOUT ROWID;
                """;
            setup.ExecuteNonQuery();
        }
        using (var cmd = _db.CreateCommand())
        {
            cmd.CommandText = "SELECT agent_id, batch_seq, stream_seq FROM agent_seq";
            using var r = cmd.ExecuteReader();
            while (r.Read()) _committed[r.GetString(0)] = ((ulong)r.GetInt64(1), (ulong)r.GetInt64(2));
        }
        _lookup = _db.CreateCommand();
        _lookup.CommandText = "SELECT stream_seq FROM agent_batch WHERE agent_id = $a AND batch_seq = $b";
        _lookup.Parameters.Add("$a", SqliteType.Text);
        _lookup.Parameters.Add("$b", SqliteType.Integer);
    }

    /// <summary>Classifies a batch against the committed state plus <paramref name="group"/> (batches accepted earlier
    /// in the same group, not yet committed), and records it in the group unless it is a replay.</summary>
    public SequenceVerdict Classify(string agentId, ulong batchSeq, ulong streamSeq, SequenceGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        bool known = group.Marks.TryGetValue(agentId, out var mark) || _committed.TryGetValue(agentId, out mark);
        SequenceVerdict verdict;
        if (!known || batchSeq > mark.BatchSeq)
        {
            group.Marks[agentId] = (batchSeq, streamSeq);
            verdict = SequenceVerdict.New;
        }
        else if (TryGetProcessed(agentId, batchSeq, group, out ulong processedAt))
        {
            verdict = processedAt == streamSeq ? SequenceVerdict.Redelivery : SequenceVerdict.Replay;
        }
        else if (streamSeq <= mark.StreamSeq)
        {
            verdict = SequenceVerdict.Redelivery;
        }
        else
        {
            verdict = mark.BatchSeq - batchSeq < ReplayWindow ? SequenceVerdict.New : SequenceVerdict.Replay;
        }
        if (verdict != SequenceVerdict.Replay) group.Processed.TryAdd((agentId, batchSeq), streamSeq);
        return verdict;
    }

    private bool TryGetProcessed(string agentId, ulong batchSeq, SequenceGroup group, out ulong streamSeq)
    {
        if (group.Processed.TryGetValue((agentId, batchSeq), out streamSeq)) return true;
        if (_staged.Processed.TryGetValue((agentId, batchSeq), out streamSeq)) return true;
        _lookup.Parameters["$a"].Value = agentId;
        _lookup.Parameters["$b"].Value = (long)batchSeq;
        object? found = _lookup.ExecuteScalar();
        streamSeq = found is long s ? (ulong)s : 0;
        return found is long;
    }

    /// <summary>Persists the marks and processed batches of a group whose records are safely indexed.</summary>
    public void Commit(SequenceGroup group)
    {
        Stage(group);
        Flush();
    }

    /// <summary>
    /// Records a group whose records are safely indexed as processed, in memory only (later batches are classified
    /// against it); <see cref="Flush"/> persists everything staged in one transaction. The pipeline flushes before it
    /// acks, so what a crash loses from here is exactly what is redelivered: one fsync per ack round, not per group.
    /// </summary>
    public void Stage(SequenceGroup group)
    {
        ArgumentNullException.ThrowIfNull(group);
        foreach (var (agent, m) in group.Marks)
        {
            if (!_staged.Marks.TryGetValue(agent, out var staged) || m.BatchSeq > staged.BatchSeq) _staged.Marks[agent] = m;
            if (!_committed.TryGetValue(agent, out var old) || m.BatchSeq > old.BatchSeq) _committed[agent] = m;
        }
        foreach (var (key, streamSeq) in group.Processed) _staged.Processed.TryAdd(key, streamSeq);
    }

    /// <summary>Batches staged and not yet persisted.</summary>
    public int StagedCount => _staged.Processed.Count;

    /// <summary>Persists what <see cref="Stage"/> recorded (fsynced); nothing to do when nothing was staged.</summary>
    public void Flush()
    {
        var group = _staged;
        if (group.Marks.Count == 0 && group.Processed.Count == 0) return;
        using var tx = _db.BeginTransaction();
        using var mark = Command(tx, """
            INSERT INTO agent_seq(agent_id, batch_seq, stream_seq) VALUES ($a, $b, $s)
            ON CONFLICT(agent_id) DO UPDATE SET batch_seq = excluded.batch_seq, stream_seq = excluded.stream_seq
            WHERE excluded.batch_seq > agent_seq.batch_seq
            """);
        foreach (var (agent, m) in group.Marks) Run(mark, agent, m.BatchSeq, m.StreamSeq);
        using var processed = Command(tx, "INSERT OR IGNORE INTO agent_batch(agent_id, batch_seq, stream_seq) VALUES ($a, $b, $s)");
        foreach (var ((agent, batchSeq), streamSeq) in group.Processed) Run(processed, agent, batchSeq, streamSeq);
        using var prune = Command(tx, "DELETE FROM agent_batch WHERE agent_id = $a AND batch_seq < $b");
        foreach (var (agent, m) in group.Marks)
        {
            if (m.BatchSeq > ReplayWindow) Run(prune, agent, m.BatchSeq - ReplayWindow, 0);
        }
        tx.Commit();
        _staged = new SequenceGroup();
    }

    private SqliteCommand Command(SqliteTransaction tx, string sql)
    {
        var cmd = _db.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        return cmd;
    }

    private static void Run(SqliteCommand cmd, string agent, ulong batchSeq, ulong streamSeq)
    {
        cmd.Parameters.Clear();
        cmd.Parameters.AddWithValue("$a", agent);
        cmd.Parameters.AddWithValue("$b", (long)batchSeq);
        if (cmd.CommandText.Contains("$s", StringComparison.Ordinal)) cmd.Parameters.AddWithValue("$s", (long)streamSeq);
        cmd.ExecuteNonQuery();
    }

    public void Dispose()
    {
        _lookup.Dispose();
        _db.Dispose();
    }
}
