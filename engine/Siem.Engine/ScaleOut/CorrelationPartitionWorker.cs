using System.Diagnostics;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Runs one owned correlation partition: restores its saved state, reads its contributions from SIEM_CORR after the
/// saved sequence (an ephemeral filtered pull consumer), applies them in stream order, routes the matches chained
/// correlations produce, indexes and publishes the alerts, and saves the state every <see cref="ScaleOutOptions.SnapshotInterval"/>
/// — always after the alerts it implies are indexed. Any failure starts over from the last saved state (the replay is
/// deterministic, so the alerts it raises again have the same ids and are upserted, not duplicated).
/// </summary>
internal sealed class CorrelationPartitionWorker(int partition, CorrelationPartitionContext context)
{
    private static readonly TimeSpan ApplyTimeout = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);
    private CorrelationEngine _engine = null!;
    private AlertSuppressor _suppressor = null!;
    private ulong _applied;
    private ulong _saved;
    private string? _consumer;
    /// <summary>The in-memory state is exactly the saved state plus whole applied batches (so it may be saved).</summary>
    private bool _consistent;
    /// <summary>How many of <see cref="CorrelationPartitionContext.Forgets"/> the in-memory state has applied.</summary>
    private int _forgotten;

    public int Partition => partition;

    /// <summary>How many of <see cref="CorrelationPartitionContext.Forgets"/> this worker applied and saved (0 again while it restores).</summary>
    public int Forgotten => Volatile.Read(ref _forgotten);

    /// <summary>False: stop without the final save (what a crash leaves behind; the next owner replays from the last periodic save).</summary>
    public bool SaveOnStop { get; set; } = true;

    /// <summary>Contributions applied since this worker started (replays included).</summary>
    public long Applied { get; private set; }

    /// <summary>Watermark ticks applied since this worker started (replays included).</summary>
    public long Ticks { get; private set; }

    /// <summary>Runs until <paramref name="stop"/>; then saves what it applied (a batch in flight is finished first).</summary>
    public async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            _consistent = false;
            try
            {
                await RestoreAsync(stop).ConfigureAwait(false);
                _consistent = true;
                await ConsumeAsync(stop).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
            }
            catch (Exception ex)
            {
                // Whatever failed (broker, index, a snapshot that does not restore), the way back is the same: the saved state plus a replay.
                context.Log($"partition {partition}: {ex.GetType().Name}: {ex.Message}; starting over from its saved state");
                _consistent = false;
                await Task.Delay(RetryDelay, CancellationToken.None).ConfigureAwait(false);
            }
            finally
            {
                await DeleteConsumerAsync().ConfigureAwait(false);
            }
        }
        if (SaveOnStop && _consistent && _applied != _saved)
        {
            using var bounded = new CancellationTokenSource(ApplyTimeout);
            try { await SaveAsync(bounded.Token).ConfigureAwait(false); }
            catch (Exception ex) when (ex is NatsException or OperationCanceledException) { context.Log($"partition {partition}: final save failed ({ex.Message}); the next owner replays further"); }
        }
    }

    private async Task RestoreAsync(CancellationToken cancellationToken)
    {
        _engine = context.NewEngine();
        _suppressor = new AlertSuppressor(context.SuppressionWindow);
        _applied = _saved = 0;
        Volatile.Write(ref _forgotten, 0); // a restored snapshot may predate a purge this engine learned of: all are applied again
        if (await context.Store.LoadAsync(partition, cancellationToken).ConfigureAwait(false) is not { } snapshot) return;
        try
        {
            _engine.Restore(snapshot.Correlation);
            _suppressor.Restore(snapshot.Suppression);
            _applied = _saved = snapshot.Sequence;
        }
        catch (InvalidDataException ex)
        {
            // Retrying would fail the same way: rebuild the partition from everything SIEM_CORR still holds instead.
            context.Log($"partition {partition}: saved state does not restore ({ex.Message}); replaying the partition from the start of SIEM_CORR");
            _engine = context.NewEngine();
            _suppressor = new AlertSuppressor(context.SuppressionWindow);
        }
    }

    private async Task ConsumeAsync(CancellationToken stop)
    {
        var consumer = await context.Js.CreateOrUpdateConsumerAsync(CorrelationSubjects.Stream, new ConsumerConfig
        {
            DeliverPolicy = _applied == 0 ? DeliverPolicy.All : DeliverPolicy.ByStartSequence,
            OptStartSeq = _applied == 0 ? null : _applied + 1,
            AckPolicy = AckPolicy.All,
            FilterSubject = CorrelationSubjects.PartitionFilter(partition),
            InactiveThreshold = TimeSpan.FromSeconds(30),
            MaxAckPending = context.Options.FetchBatch * 4,
        }, stop).ConfigureAwait(false);
        _consumer = consumer.Name;
        var sinceSave = Stopwatch.StartNew();
        var batch = new List<NatsJSMsg>(context.Options.FetchBatch);
        while (!stop.IsCancellationRequested)
        {
            batch.Clear();
            await foreach (var msg in consumer.FetchAsync(context.Options.FetchBatch, TimeSpan.FromSeconds(1), cancellationToken: stop).ConfigureAwait(false)) batch.Add(msg);
            // Purges first (also right after a restore, whose snapshot may predate them): nothing is counted into a window still holding a purged subject.
            if (context.Forgets.Count > _forgotten && await ForgetAsync(stop).ConfigureAwait(false)) sinceSave.Restart();
            if (batch.Count > 0)
            {
                // A batch, once fetched, is finished even when asked to stop, so the state stays one that can be saved.
                using var bounded = new CancellationTokenSource(ApplyTimeout);
                _consistent = false;
                await ApplyAsync(batch, bounded.Token).ConfigureAwait(false);
                _consistent = true;
            }
            if (_applied != _saved && sinceSave.Elapsed >= context.Options.SnapshotInterval)
            {
                await SaveAsync(stop).ConfigureAwait(false);
                sinceSave.Restart();
            }
        }
    }

    private async Task ApplyAsync(List<NatsJSMsg> batch, CancellationToken cancellationToken)
    {
        var fired = new List<CorrelationAlert>();
        var chained = new List<CorrelationContribution>();
        ulong last = _applied;
        foreach (var msg in batch)
        {
            ulong seq = msg.Metadata.StreamSeq;
            if (seq <= _applied) continue; // already in the restored state
            last = seq;
            if (msg.Subject.EndsWith("." + CorrelationSubjects.WatermarkToken, StringComparison.Ordinal))
            {
                // Event time passed elsewhere: windows decided at their close (upper bounds, averages) close here too.
                if (CorrelationRouter.ParseWatermark(msg.Data.Span) is { } watermark) _engine.Advance(watermark, fired);
                else context.Malformed(partition, seq, "a watermark tick without a time");
                _engine.TakeChained(chained);
                Ticks++;
                continue;
            }
            CorrelationContribution contribution;
            try
            {
                contribution = ContributionJson.Deserialize(msg.Data.Span);
            }
            catch (InvalidDataException ex)
            {
                context.Malformed(partition, seq, ex.Message);
                continue;
            }
            if (context.Forgets.AnyPurged(contribution.RecordIds)) continue; // a purged record's match still on its way
            if (!_engine.Apply(contribution, fired)) context.Unknown(partition, contribution.RuleKey);
            _engine.TakeChained(chained);
            Applied++;
        }
        // Chained matches reach their partitions, and alerts the index, before this state can be saved.
        if (chained.Count > 0) await context.Router.PublishAsync(chained, cancellationToken).ConfigureAwait(false);
        if (fired.Count > 0) await context.IndexAlertsAsync(Fold(fired), cancellationToken).ConfigureAwait(false);
        _applied = last;
        try
        {
            await batch[^1].AckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (NatsException)
        {
            // Progress is the applied sequence, not the ack: an unacked contribution redelivered later is skipped by sequence.
        }
    }

    private List<(AlertDocument Alert, bool IsNew)> Fold(List<CorrelationAlert> fired)
    {
        var alerts = new List<(AlertDocument Alert, bool IsNew)>();
        foreach (var alert in fired)
        {
            var doc = _suppressor.Fold(SigmaDetector.FromCorrelation(alert), out bool isNew);
            if (doc == null) continue;
            int at = alerts.FindIndex(a => a.Alert.AlertId == doc.AlertId);
            if (at >= 0) alerts[at] = (doc, alerts[at].IsNew | isNew);
            else alerts.Add((doc, isNew));
        }
        return alerts;
    }

    /// <summary>
    /// Applies the purges learned since the last call (<c>CorrelationEngine.Forget</c> and <see cref="AlertSuppressor.Forget"/>,
    /// in place); when the state held any of their records, saves the state without them, which erases the replaced
    /// snapshot on disk. True when it saved. Only then are they counted in <see cref="Forgotten"/> (what the engine's
    /// purge confirmation waits for).
    /// </summary>
    private async Task<bool> ForgetAsync(CancellationToken cancellationToken)
    {
        var purges = context.Forgets.Since(_forgotten);
        int forgotten = _forgotten + purges.Count;
        int removed = 0;
        foreach (var forget in purges)
            removed += _engine.Forget(forget.RecordIds, forget.ExactValues) + _suppressor.Forget(forget.RecordIds, forget.AlertIds);
        if (removed > 0)
        {
            context.Log($"partition {partition}: forgot {removed} matches, windows and open alerts of purged subjects");
            await SaveAsync(cancellationToken).ConfigureAwait(false); // erases the replaced snapshot on disk
        }
        Volatile.Write(ref _forgotten, forgotten);
        context.Forgets.Progressed();
        return removed > 0;
    }

    private async Task SaveAsync(CancellationToken cancellationToken)
    {
        var snapshot = new PartitionSnapshot(_applied, _engine.Snapshot(), _suppressor.Snapshot());
        if (await context.Store.SaveAsync(partition, snapshot, cancellationToken).ConfigureAwait(false)) _saved = _applied;
    }

    private async Task DeleteConsumerAsync()
    {
        if (_consumer is not { } name) return;
        _consumer = null;
        using var bounded = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await context.Js.DeleteConsumerAsync(CorrelationSubjects.Stream, name, bounded.Token).ConfigureAwait(false); }
        catch (Exception ex) when (ex is NatsException or OperationCanceledException) { } // the server drops it after its inactive threshold
    }
}
