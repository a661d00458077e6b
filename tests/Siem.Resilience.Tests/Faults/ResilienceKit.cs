using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Host.Bench.Soak;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Resilience.Tests.Faults;

/// <summary>
/// The engine side of a fault run (an engine key, the registry of enrolled agents, one SQLite index shared by the
/// engine replicas of this process) plus the agents (real <c>siem-agent</c> child processes) and a deadline that
/// turns any hang into a failure naming what it waited for.
/// </summary>
internal sealed class ResilienceKit : IAsyncDisposable
{
    public const string Tenant = "acme";

    private readonly List<SoakEngine> _engines = [];
    private readonly List<ServeProcess> _serves = [];
    private readonly CancellationTokenSource _deadline;

    public string Dir { get; } = Directory.CreateTempSubdirectory("siem-resilience-").FullName;
    public EngineKeyPair EngineKey { get; } = EngineKeyPair.Create();
    public AgentRegistry Registry { get; }
    public List<SoakAgent> Agents { get; } = [];
    /// <summary>The index the in-process engines share (null when an engine process owns the index).</summary>
    public IIndexSink? Index { get; }
    public string IndexDb { get; }
    public CancellationToken Deadline => _deadline.Token;

    /// <summary>Engines ack after the index and redeliver unacked messages after 5 s (a crashed replica's work comes back quickly).</summary>
    public static EngineOptions EngineOptions { get; } = EngineOptions.Default with
    {
        AckWait = TimeSpan.FromSeconds(5),
        NakDelay = TimeSpan.FromMilliseconds(200),
    };

    /// <param name="index">An index for in-process engines; default: SQLite under the kit's dir.</param>
    /// <param name="serve">Run the engine as a <c>siem serve</c> process instead: its registry and index are the kit's.</param>
    public ResilienceKit(TimeSpan deadline, IIndexSink? index = null, bool serve = false)
    {
        _deadline = new CancellationTokenSource(deadline);
        if (serve)
        {
            Registry = new AgentRegistry(Path.Combine(Dir, "engine-data", "engine", "agents.json"));
            IndexDb = Path.Combine(Dir, "engine-data", "index.db");
        }
        else
        {
            Registry = new AgentRegistry();
            Index = index ?? SqliteIndexSink.Open(Path.Combine(Dir, "index"));
            IndexDb = Path.Combine(Dir, "index", "index.db");
        }
    }

    /// <summary>The <c>siem serve</c> engine process over the kit's engine key, registry and index (not started).</summary>
    public ServeProcess CreateServe(IReadOnlyList<string> urls)
    {
        var serve = ServeProcess.Create(Path.Combine(Dir, "engine-data"), urls, EngineKey);
        _serves.Add(serve);
        return serve;
    }

    public static async Task CreateStreamsAsync(IReadOnlyList<string> urls, int replicas, CancellationToken cancellationToken)
    {
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = urls, Name = "resilience-setup" });
        await connection.ConnectAsync(cancellationToken);
        // A cluster that has just elected its meta leader may not yet know every peer: an R3 stream is refused with
        // "no suitable peers for placement" (10005) for a moment. Retry that one error, bounded by the caller's token.
        while (true)
        {
            try
            {
                await EngineStreams.EnsureAsync(new NatsJSContext(connection), replicas, cancellationToken);
                return;
            }
            catch (NatsJSApiException ex) when (ex.ErrCode == 10005)
            {
                await Task.Delay(250, cancellationToken);
            }
        }
    }

    /// <summary>Enrolls an agent, writes its config (all <paramref name="urls"/>, plus <paramref name="extraYaml"/>) and starts its process.</summary>
    public SoakAgent StartAgent(string agentId, IReadOnlyList<string> urls, string extraYaml = "", int maxRecords = 200, int maxBatchBytes = 524_288)
    {
        var agent = SoakAgent.Enroll(agentId, Tenant, Path.Combine(Dir, agentId), EngineKey, Registry);
        agent.WriteConfig(urls, extraYaml, maxRecords, maxBatchBytes: maxBatchBytes);
        Agents.Add(agent);
        agent.Start();
        return agent;
    }

    public async Task<SoakEngine> StartEngineAsync(string name, IReadOnlyList<string> urls, EngineOptions? options = null)
    {
        var engine = await SoakEngine.StartAsync(name, urls, Index ?? throw new InvalidOperationException("this kit runs its engine as a siem serve process"), EngineKey, Registry, Path.Combine(Dir, "engines", name), options ?? EngineOptions, Deadline);
        _engines.Add(engine);
        return engine;
    }

    /// <summary>Polls <paramref name="condition"/>; a dead agent process or a faulted engine fails at once, the deadline fails with <paramref name="what"/>.</summary>
    public async Task WaitUntilAsync(Func<bool> condition, string what, IEnumerable<SoakEngine>? engines = null)
    {
        while (!condition())
        {
            foreach (var e in engines ?? _engines)
            {
                if (e.Fault != null) throw new InvalidOperationException($"engine {e.Name} failed", e.Fault);
            }
            foreach (var a in Agents)
            {
                if (a.Died) throw new InvalidOperationException($"agent {a.AgentId} exited on its own:\n{a.Output}");
            }
            foreach (var s in _serves)
            {
                if (s.Died) throw new InvalidOperationException($"siem serve exited on its own:\n{s.Output}");
            }
            if (Deadline.IsCancellationRequested)
                throw new TimeoutException($"timed out waiting for: {what}; index: {SoakIndexAudit.Read(IndexDb)}; agents:\n{AgentReport()}");
            await Task.Delay(100, CancellationToken.None);
        }
    }

    public string AgentReport() => string.Join("\n", Agents.Select(a =>
        $"{a.AgentId} pid {a.Pid} wrote {a.LinesWritten}: {(a.Status() is { } s ? $"read {s.LinesRead} shipped {s.RecordsShipped} spooled {s.BatchesSpooled} drained {s.BatchesDrained} dropped {s.RecordsDropped} spool {s.SpoolBytes} B" : "no status")}\n{a.Output}"));

    public long LinesWritten => Agents.Sum(a => (long)a.LinesWritten);

    /// <summary>Waits until every agent checkpointed its whole file and the index holds every line.</summary>
    public Task WaitAllIndexedAsync() => WaitUntilAsync(
        () => Agents.All(a => a.CaughtUp()) && SoakIndexAudit.Read(IndexDb).DistinctOriginals >= LinesWritten,
        $"every agent caught up and the index holds all {LinesWritten} lines");

    /// <summary>The index holds every written line exactly once: no line missing, none twice, one record id per row.</summary>
    public void AssertExactlyOnce()
    {
        var audit = SoakIndexAudit.Read(IndexDb);
        Assert.True(audit.Rows == LinesWritten && audit.DistinctRecordIds == LinesWritten && audit.DistinctOriginals == LinesWritten,
            $"expected {LinesWritten} lines exactly once, index has {audit}");
        var expected = Agents.SelectMany(a => a.ExpectedLines()).Order(StringComparer.Ordinal).ToList();
        // t= is the write time and varies; the lines were written with t=0 in fault tests.
        var actual = SoakIndexAudit.Originals(IndexDb).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, actual);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var a in Agents) a.Dispose();
        foreach (var e in _engines) await e.DisposeAsync();
        foreach (var s in _serves) s.Dispose();
        if (Index != null) await Index.DisposeAsync();
        _deadline.Dispose();
        try { Directory.Delete(Dir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
