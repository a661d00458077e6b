using System.Threading.Channels;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Lineage.Hops;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.ScaleOut;

/// <summary>
/// Correlation state partitioned across engine replicas. Detection stays where a record is consumed; its correlation
/// matches go through the <see cref="Router"/> to SIEM_CORR, one subject per partition (nats-server subject mapping).
/// Engines split the partitions with <see cref="PartitionMembership"/> (rendezvous hashing over the live engines in a KV
/// bucket); for every partition it owns, an engine runs a <see cref="CorrelationPartitionWorker"/>. When an engine
/// leaves (gracefully at once, by crash after the lease) its partitions move, and their new owners restore the saved
/// state and replay what followed, so a threshold counts every match exactly once whichever engine saw it.
/// </summary>
public sealed partial class CorrelationPartitions : IAsyncDisposable
{
    private readonly CorrelationPartitionContext _context;
    private readonly PartitionMembership _membership;
    private readonly Dictionary<int, (CorrelationPartitionWorker Worker, CancellationTokenSource Stop, Task Run)> _workers = [];
    /// <summary>Ownership changes (and rule reloads, <c>Restart</c>) for the reconcile loop; unbounded, but coalesced as read.</summary>
    private readonly Channel<(IReadOnlyList<int> Owned, bool Restart)> _ownership = Channel.CreateUnbounded<(IReadOnlyList<int>, bool)>(new UnboundedChannelOptions { SingleReader = true });
    private readonly CancellationTokenSource _stop = new();
    private readonly string _alertPrefix;
    private readonly Action<string> _log;
    private Task _reconcile = Task.CompletedTask;
    private IReadOnlyList<CorrelationRule> _rules = [];
    /// <summary>Where the partitions' alert hops go (as the pipeline's alerts); null = no lineage.</summary>
    private PipelineLineage? _lineage;
    private long _malformed, _unknown, _alertsRaised, _alertsUpdated, _alertPublishErrors;

    private CorrelationPartitions(CorrelationPartitionContext context, PartitionMembership membership, string alertPrefix, Action<string> log)
    {
        _context = context;
        _membership = membership;
        _alertPrefix = alertPrefix;
        _log = log;
    }

    /// <summary>Publishes this engine's correlation matches; give it to the detector and the pipeline (<c>CorrelationOutbox</c>).</summary>
    public CorrelationRouter Router => _context.Router;

    public PartitionMembership Membership => _membership;

    /// <summary>Partitions with a running worker now (sorted).</summary>
    public IReadOnlyList<int> Running { get { lock (_workers) return [.. _workers.Keys.Order()]; } }

    public long Malformed => Interlocked.Read(ref _malformed);
    public long UnknownRules => Interlocked.Read(ref _unknown);
    public long AlertsRaised => Interlocked.Read(ref _alertsRaised);
    public long AlertsUpdated => Interlocked.Read(ref _alertsUpdated);
    public long AlertPublishErrors => Interlocked.Read(ref _alertPublishErrors);
    public long SnapshotsTooLarge => _context.Store.TooLarge;

    /// <summary>Raised (on a partition's thread) after a correlation alert was indexed: (alert, true when new).</summary>
    public event Action<AlertDocument, bool>? AlertIndexed;

    /// <summary>
    /// Creates SIEM_CORR and the state bucket, checks the server's partition mapping (when <see cref="ScaleOutOptions.ServerMapping"/>),
    /// joins the engines and starts the workers of the partitions this engine owns.
    /// </summary>
    public static async Task<CorrelationPartitions> StartAsync(NatsJSContext js, IReadOnlyList<CorrelationRule> rules, CorrelationRouter router, IIndexSink sink,
        ScaleOutOptions options, Duration suppressionWindow, CorrelationOptions? correlationOptions = null, string alertSubjectPrefix = "siem.alerts",
        PipelineLineage? lineage = null, Action<string>? log = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(router);
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentNullException.ThrowIfNull(options);
        log ??= _ => { };
        var corr = await JetStreamSetUp.RetryAsync(() => js.EnsureStreamAsync(new StreamConfig(CorrelationSubjects.Stream, CorrelationSubjects.StreamSubjects)
        {
            Storage = StorageType.File,
            Replicas = options.Replicas,
            MaxAge = options.ContributionMaxAge,
            DuplicateWindow = TimeSpan.FromMinutes(2),
        }, cancellationToken), m => log($"correlation partitions: {m}"), cancellationToken).ConfigureAwait(false);
        if (corr.Config.Replicas != options.Replicas)
            log($"correlation partitions: {CorrelationSubjects.Stream} has {corr.Config.Replicas} replica(s), scale_out.replicas says {options.Replicas}: kept " +
                $"(existing streams are not re-placed by engines; scale it with `nats stream edit {CorrelationSubjects.Stream} --replicas {options.Replicas}`)");
        if (options.ServerMapping) await ServerMappingProbe.VerifyAsync(js.Connection, options.Partitions, cancellationToken).ConfigureAwait(false);
        var store = await JetStreamSetUp.RetryAsync(() => PartitionStateStore.OpenAsync(js, options, log, cancellationToken), m => log($"correlation partitions: {m}"), cancellationToken).ConfigureAwait(false);
        // Contributions arrive resolved: no field mapping here; chained matches go back through the router.
        var engineOptions = SigmaDetector.WithAlertContext(correlationOptions) with { RouteChainedMatches = true, FieldMapper = null };
        CorrelationPartitions? self = null;
        var context = new CorrelationPartitionContext
        {
            Js = js,
            Store = store,
            Router = router,
            Options = options,
            NewEngine = () => new CorrelationEngine(Volatile.Read(ref self!._rules), engineOptions),
            SuppressionWindow = suppressionWindow,
            IndexAlertsAsync = (alerts, ct) => self!.IndexAlertsAsync(sink, alerts, ct),
            Log = log,
            Malformed = (p, seq, why) => self!.OnMalformed(p, seq, why),
            Unknown = (p, rule) => self!.OnUnknown(p, rule),
        };
        string engineId = options.EngineId ?? $"{Environment.MachineName}-{Environment.ProcessId}";
        var membership = await JetStreamSetUp.RetryAsync(() => PartitionMembership.StartAsync(js, engineId, options.Partitions,
            options.Membership with { Replicas = options.Replicas }, cancellationToken), m => log($"correlation partitions: {m}"), cancellationToken).ConfigureAwait(false);
        self = new CorrelationPartitions(context, membership, alertSubjectPrefix, log) { _rules = [.. rules], _lineage = lineage };
        membership.OwnershipChanged += owned => self._ownership.Writer.TryWrite((owned, false));
        self._ownership.Writer.TryWrite((membership.Owned, false));
        self._reconcile = Task.Run(self.ReconcileLoopAsync, CancellationToken.None);
        self._watermarkLoop = Task.Run(self.WatermarkLoopAsync, CancellationToken.None);
        log($"correlation partitions: engine '{engineId}' joined with {options.Partitions} partitions ({(options.ServerMapping ? "nats-server subject mapping" : "engine-side partitioning")})");
        return self;
    }

    /// <summary>Starts workers for partitions gained and stops (after a final save) those lost; one change at a time, the latest wins.</summary>
    private async Task ReconcileLoopAsync()
    {
        try
        {
            while (await _ownership.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                IReadOnlyList<int>? owned = null;
                bool restart = false;
                while (_ownership.Reader.TryRead(out var latest))
                {
                    owned = latest.Owned;
                    restart |= latest.Restart;
                }
                if (owned != null) await ReconcileAsync(owned, restart).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
    }

    private async Task ReconcileAsync(IReadOnlyList<int> owned, bool restart)
    {
        List<(CorrelationPartitionWorker Worker, CancellationTokenSource Stop, Task Run)> lost;
        lock (_workers)
        {
            lost = [.. _workers.Where(w => restart || !owned.Contains(w.Key)).Select(w => w.Value)];
            foreach (var l in lost) _workers.Remove(l.Worker.Partition);
        }
        await StopAsync(lost).ConfigureAwait(false);
        lock (_workers)
        {
            foreach (int p in owned)
            {
                if (_workers.ContainsKey(p) || _stop.IsCancellationRequested) continue;
                var worker = new CorrelationPartitionWorker(p, _context);
                var stop = new CancellationTokenSource();
                _workers[p] = (worker, stop, Task.Run(() => worker.RunAsync(stop.Token), CancellationToken.None));
            }
        }
        if (restart) _log($"correlation partitions: restarted [{string.Join(',', owned)}] on the reloaded rules");
        else if (lost.Count > 0 || owned.Count > 0)
            _log($"correlation partitions: engine '{_membership.EngineId}' owns [{string.Join(',', owned)}]{(lost.Count > 0 ? $", handed over [{string.Join(',', lost.Select(l => l.Worker.Partition))}]" : "")}");
    }

    private static async Task StopAsync(List<(CorrelationPartitionWorker Worker, CancellationTokenSource Stop, Task Run)> workers)
    {
        foreach (var w in workers) await w.Stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(workers.Select(w => w.Run)).ConfigureAwait(false);
        foreach (var w in workers) w.Stop.Dispose();
    }

    /// <summary>
    /// The correlation rules changed (a live rule reload): every running partition is saved and restarted on the new
    /// set. Windows of rules still loaded carry over (restored by rule id); new rules start empty; removed ones are dropped.
    /// Until every engine has reloaded, a match for a rule some engine does not load yet is skipped there (logged).
    /// </summary>
    public void UpdateRules(IEnumerable<CorrelationRule> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Volatile.Write(ref _rules, [.. rules]);
        _ownership.Writer.TryWrite((_membership.Owned, true)); // the reconcile loop restarts the workers
    }

    /// <summary>
    /// A purge: every partition this engine runs forgets the subject's records and alerts (see
    /// <see cref="Purge.SubjectForgetting"/>) before its next batch, erases its saved state and saves it again without
    /// them; contributions of those records still in SIEM_CORR are skipped from now on. Completes when every partition
    /// running now has saved its state without them (a partition started later applies it before its first batch);
    /// fails with <see cref="TimeoutException"/> after <see cref="ForgetLimit"/>.
    /// </summary>
    public async Task ForgetAsync(Purge.SubjectForgetting forget, CancellationToken cancellationToken = default)
    {
        int count = _context.Forgets.Add(forget);
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _stop.Token);
        bounded.CancelAfter(ForgetLimit);
        try
        {
            while (true)
            {
                var progress = _context.Forgets.NextProgress;
                List<CorrelationPartitionWorker> running;
                lock (_workers) running = [.. _workers.Values.Select(w => w.Worker)];
                if (running.TrueForAll(w => w.Forgotten >= count)) return;
                // Woken by a worker's progress, or after a while anyway: a worker handed over meanwhile reports nothing.
                await Task.WhenAny(progress, Task.Delay(TimeSpan.FromMilliseconds(500), bounded.Token)).ConfigureAwait(false);
                bounded.Token.ThrowIfCancellationRequested();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_stop.IsCancellationRequested)
        {
            throw new TimeoutException($"purge {forget.JobId}: partitions [{string.Join(',', Running)}] did not all apply it within {ForgetLimit.TotalSeconds:0} s");
        }
    }

    /// <summary>How long <see cref="ForgetAsync"/> waits for the partitions.</summary>
    public static readonly TimeSpan ForgetLimit = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Stops like a crash would look to the others: no goodbye (they take over after the lease) and no final save of
    /// the partitions (their next owners replay from the last periodic save). For tests and the kill -9 drills.
    /// </summary>
    public async Task AbandonAsync()
    {
        await _membership.AbandonAsync().ConfigureAwait(false);
        await StopAllAsync(save: false).ConfigureAwait(false);
    }

    /// <summary>Leaves gracefully: saves every owned partition, then leaves the membership so the others take over at once.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_stop.IsCancellationRequested) await StopAllAsync(save: true).ConfigureAwait(false);
        await _membership.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }

    private async Task StopAllAsync(bool save)
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _reconcile.ConfigureAwait(false);
        await _watermarkLoop.ConfigureAwait(false);
        List<(CorrelationPartitionWorker Worker, CancellationTokenSource Stop, Task Run)> all;
        lock (_workers)
        {
            all = [.. _workers.Values];
            _workers.Clear();
        }
        foreach (var w in all) w.Worker.SaveOnStop = save;
        await StopAsync(all).ConfigureAwait(false);
    }
}
