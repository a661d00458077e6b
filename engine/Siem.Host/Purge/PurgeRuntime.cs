using Microsoft.Data.Sqlite;
using Siem.Core.Envelope;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Index.Elasticsearch;
using Siem.Engine.Purge;
using Siem.Host.Infrastructure;
using Siem.Lineage;
using Siem.Lineage.Audit;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Shredding;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Purge;

/// <summary>
/// Everything a purge of one data dir needs, opened once: the pseudonymizer, audit log, index, ledger, and JetStream —
/// through <c>--nats URL</c>, or a private nats-server started over <c>&lt;data&gt;/nats</c> when the platform is not
/// running (after <c>siem demo --once</c>); that server is stopped before the byte scan so the scan reads the store as
/// the server left it. The index is the SQLite index under the data dir, or an Elasticsearch/OpenSearch cluster with
/// <c>--es URL</c> (credentials from SIEM_ES_USERNAME/SIEM_ES_PASSWORD or SIEM_ES_API_KEY; the subject keys, the
/// ledger and the jobs stay in the data dir). Targets run in the order: forward filter, index, JetStream, scale-out
/// contributions, engine state (running engines told), scale-out partition state, files, ledger.
/// </summary>
internal sealed class PurgeRuntime : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _owned = [];
    private LocalNatsServer? _server;

    private PurgeRuntime(string dataDir) => DataDir = dataDir;

    public string DataDir { get; }
    public PurgeCoordinator Coordinator { get; private set; } = null!;
    public required SubjectPseudonymizer Pseudonymizer { get; init; }
    public required AuditLog Audit { get; init; }

    public static async Task<PurgeRuntime> OpenAsync(string dataDir, string? natsUrl, Uri? elasticsearchUrl, int approvalsRequired, TextWriter log, CancellationToken cancellationToken)
    {
        dataDir = Path.GetFullPath(dataDir);
        var owned = new List<IAsyncDisposable>();
        var keys = SqliteSubjectKeyStore.Open(dataDir);
        owned.Add(new DisposeAdapter(keys));
        var index = OpenIndex(dataDir, elasticsearchUrl, keys, log);
        owned.Add(index);

        LocalNatsServer? server = null;
        string? url = natsUrl;
        var store = Path.Combine(dataDir, "nats");
        if (url == null && Directory.Exists(store))
        {
            server = await LocalNatsServer.StartAsync(store, cancellationToken: cancellationToken).ConfigureAwait(false);
            url = server.Url;
            log.WriteLine($"purge: private nats-server (pid {server.Pid}) over {store}");
        }
        NatsJSContext? js = null;
        if (url != null)
        {
            var connection = new NatsConnection(NatsOpts.Default with { Servers = [url], Name = "siem-purge" });
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            owned.Add(connection);
            js = new NatsJSContext(connection);
        }
        else
        {
            log.WriteLine($"purge: no JetStream to purge (neither --nats nor a store at {store})");
        }
        var runtime = Create(dataDir, (IIndexPurge)index, js, approvalsRequired, log, owned, keys);
        runtime._server = server;
        return runtime;
    }

    /// <summary>
    /// For a running server (<c>siem serve --roles api</c>): the index the role already opened and its NATS connection
    /// (both stay the caller's); only the ledger and key store are opened here.
    /// </summary>
    public static PurgeRuntime ForServer(string dataDir, IIndexPurge index, NatsJSContext jetStream, int approvalsRequired, TextWriter log) =>
        Create(Path.GetFullPath(dataDir), index, jetStream, approvalsRequired, log, []);

    private static PurgeRuntime Create(string dataDir, IIndexPurge index, NatsJSContext? js, int approvalsRequired, TextWriter log, List<IAsyncDisposable> owned, SqliteSubjectKeyStore? keys = null)
    {
        var pseudonymizer = SubjectPseudonymizer.Open(dataDir);
        var audit = new AuditLog(dataDir);
        var ledger = LineageLedger.Open(dataDir);
        owned.Add(ledger);
        if (keys == null)
        {
            keys = SqliteSubjectKeyStore.Open(dataDir);
            owned.Add(new DisposeAdapter(keys));
        }
        // The certificate names the index purged: the data dir's SQLite index, or the cluster.
        var targets = new List<IPurgeTarget> { new ForwardFilterTarget(), new IndexPurgeTarget(index, index is ElasticsearchIndexSink ? "elasticsearch" : "index") };
        if (js != null)
        {
            var (opener, resealer) = Envelopes(dataDir);
            targets.Add(new JetStreamPurgeTarget(js, opener, resealer, pseudonymizer, JetStreamPurgeOptions.Default with
            {
                AlreadyProcessed = (agent, seq) => AlreadyProcessed(dataDir, agent, seq),
                Ledger = ledger,
            }));
        }
        // Detection state: scale-out contributions first (a partition restoring meanwhile replays only what is left),
        // then the engines (told live, and their state files), then the partition snapshots.
        if (js != null) targets.Add(new CorrelationStreamPurgeTarget(js));
        targets.Add(new EngineStatePurgeTarget([EngineStatePurgeTarget.StateDirOf(dataDir)], js == null ? null : new Siem.Engine.Control.LiveChangePublisher(js)));
        if (js != null) targets.Add(new PartitionStatePurgeTarget(js));
        targets.Add(new FilesPurgeTarget());
        // Crypto-shredding: the subject's data key goes with the ledger step (copies nobody can reach become unreadable).
        targets.Add(new LedgerPurgeTarget(ledger, (subjectId, ct) => keys.DestroyKeyAsync(subjectId, ct).AsTask()));

        var runtime = new PurgeRuntime(dataDir) { Pseudonymizer = pseudonymizer, Audit = audit };
        runtime._owned.AddRange(owned);
        runtime.Coordinator = new PurgeCoordinator(dataDir, targets, pseudonymizer, audit, new PurgeOptions
        {
            ApprovalsRequired = approvalsRequired,
            BeforeByteScanAsync = runtime.StopServerAsync,
            Log = m => { lock (log) log.WriteLine(m); },
        });
        return runtime;
    }

    /// <summary>The SQLite index of the data dir, or the cluster (its blind indexes computed with the data dir's keys).</summary>
    private static IIndexSink OpenIndex(string dataDir, Uri? elasticsearchUrl, SqliteSubjectKeyStore keys, TextWriter log)
    {
        if (elasticsearchUrl == null) return SqliteIndexSink.Open(dataDir);
        log.WriteLine($"purge: index in Elasticsearch/OpenSearch at {elasticsearchUrl.GetLeftPart(UriPartial.Authority)}");
        return new ElasticsearchIndexSink(new ElasticsearchOptions
        {
            Url = elasticsearchUrl,
            Username = Environment.GetEnvironmentVariable("SIEM_ES_USERNAME"),
            Password = Environment.GetEnvironmentVariable("SIEM_ES_PASSWORD"),
            ApiKey = Environment.GetEnvironmentVariable("SIEM_ES_API_KEY"),
            // A cluster that stays down fails the step (the job resumes with `siem purge resume`), not an endless wait.
            MaxRetries = 5,
        }, FieldProtector.Open(dataDir, keys));
    }

    /// <summary>The engine key and agent registry open envelopes; the server key re-seals (and is trusted for re-seals).</summary>
    private static (EnvelopeOpener Opener, EnvelopeResealer? Resealer) Envelopes(string dataDir)
    {
        var engineDir = Path.Combine(dataDir, "engine");
        var keyPath = Path.Combine(engineDir, "engine-key.json");
        var server = ServerSigningKey.LoadOrCreate(dataDir);
        var resealers = new Dictionary<string, byte[]> { [server.KeyId] = server.PublicKey };
        var registry = new AgentRegistry(File.Exists(Path.Combine(engineDir, "agents.json")) ? Path.Combine(engineDir, "agents.json") : null);
        if (!File.Exists(keyPath))
            return (new EnvelopeOpener(new Dictionary<string, EngineKeyPair>(), registry) { Resealers = resealers }, null);
        // Every key the engine still accepts: batches in the stream may be sealed under a key rotated since.
        var keys = EngineKeyRing.Open(dataDir, out _);
        return (new EnvelopeOpener(keys.ById, registry) { Resealers = resealers }, new EnvelopeResealer(server, keys.Current));
    }

    /// <summary>Whether the engine already indexed this batch (its replay state in engine-state.db says so).</summary>
    private static bool AlreadyProcessed(string dataDir, string agentId, ulong batchSeq)
    {
        var path = Path.Combine(dataDir, "engine-state.db");
        if (!File.Exists(path)) return false;
        using var db = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        db.Open();
        using var cmd = db.CreateCommand();
        cmd.CommandText = "SELECT count(*) FROM agent_batch WHERE agent_id = $a AND batch_seq = $b";
        cmd.Parameters.AddWithValue("$a", agentId);
        cmd.Parameters.AddWithValue("$b", (long)batchSeq);
        return (long)cmd.ExecuteScalar()! > 0;
    }

    private async Task StopServerAsync(CancellationToken cancellationToken)
    {
        if (_server == null) return;
        // The connection goes first, then the server (SIGTERM: it flushes and closes its store files).
        foreach (var c in _owned.OfType<NatsConnection>()) await c.DisposeAsync().ConfigureAwait(false);
        _owned.RemoveAll(o => o is NatsConnection);
        await _server.DisposeAsync().ConfigureAwait(false);
        _server = null;
    }

    public async ValueTask DisposeAsync()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) await _owned[i].DisposeAsync().ConfigureAwait(false);
        _owned.Clear();
        if (_server != null) await _server.DisposeAsync().ConfigureAwait(false);
    }

    private sealed class DisposeAdapter(IDisposable inner) : IAsyncDisposable
    {
        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
