using System.Diagnostics;
using Siem.Core.Security;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// One soak run: a private nats-server, N real <c>siem-agent</c> processes tailing files this run appends to at a
/// fixed offered rate, and the engine in this process indexing into SQLite. Samples every interval (rates, consumer
/// lag, latency, RSS of every process), drains at the end, and audits the index by line for lost and duplicates.
/// </summary>
internal sealed partial class SoakRun
{
    private readonly SoakOptions _o;
    private readonly TextWriter _log;
    private readonly List<SoakSample> _samples = [];

    public SoakRun(SoakOptions options, TextWriter log)
    {
        _o = options;
        _log = log;
    }

    public async Task<SoakResult> RunAsync(CancellationToken cancellationToken)
    {
        string work = Directory.CreateTempSubdirectory("siem-soak-").FullName;
        var agents = new List<SoakAgent>();
        try
        {
            await using var server = await LocalNatsServer.StartAsync(Path.Combine(work, "nats"), cancellationToken: cancellationToken).ConfigureAwait(false);
            _log.WriteLine($"soak: nats-server pid {server.Pid} on {server.Url}; work dir {work}");
            await using var monitor = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-soak-monitor" });
            await monitor.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var js = new NatsJSContext(monitor);
            await EngineStreams.EnsureAsync(js, replicas: 1, cancellationToken).ConfigureAwait(false);

            var key = EngineKeyPair.Create();
            var registry = new AgentRegistry();
            for (int i = 0; i < _o.Agents; i++)
            {
                var agent = SoakAgent.Enroll($"soak-{i + 1:D2}", "soak", Path.Combine(work, $"agent-{i + 1}"), key, registry);
                agent.WriteConfig([server.Url], maxRecords: 500, lingerMs: 100);
                agents.Add(agent);
            }
            var index = SqliteIndexSink.Open(Path.Combine(work, "index"));
            var sink = new SoakLatencySink(index);
            await using var engine = await SoakEngine.StartAsync("siem-soak-engine", [server.Url], sink, key, registry, Path.Combine(work, "engine"), EngineOptionsFor(_o), cancellationToken).ConfigureAwait(false);
            foreach (var a in agents) a.Start();
            await WaitAgentsStartedAsync(agents, cancellationToken).ConfigureAwait(false);
            _log.WriteLine($"soak: {agents.Count} siem-agent processes (pids {string.Join(", ", agents.Select(a => a.Pid))}), engine in pid {Environment.ProcessId}; offering {_o.Rate} lines/s for {_o.Duration.TotalSeconds:0} s");

            var pids = new Dictionary<string, int> { ["engine"] = Environment.ProcessId, ["nats-server"] = server.Pid };
            foreach (var a in agents) pids[a.AgentId] = a.Pid;
            long offered = await LoadAsync(agents, sink, engine, js, pids, cancellationToken).ConfigureAwait(false);
            var loadEnd = _samples.Count;
            var drained = await DrainAsync(agents, index.DatabasePath, offered, sink, engine, js, pids, cancellationToken).ConfigureAwait(false);
            foreach (var a in agents) a.Stop(TimeSpan.FromSeconds(15));
            bool stopped = true;
            try
            {
                await engine.StopAsync().ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Still inside an index write: report what the index holds now rather than nothing.
                stopped = false;
                _log.WriteLine("soak: the engine did not stop within 30 s (an index write in progress); auditing the index as it is");
            }
            var audit = SoakIndexAudit.Read(index.DatabasePath);
            if (stopped) await sink.DisposeAsync().ConfigureAwait(false);
            return SoakResult.From(_o, offered, audit, drained, sink.TotalPercentile(0.50), sink.TotalPercentile(0.99), _samples, loadEnd);
        }
        finally
        {
            foreach (var a in agents) a.Dispose();
            if (!_o.KeepWorkDir)
            {
                try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            }
        }
    }

    /// <summary>
    /// The engine's buffer and group are counted in messages; an agent message here carries up to 500 records, so the
    /// defaults (1024 buffered, 256 per group) would let a lagging engine hold ~600k records (~700 MB) and write
    /// 128k-record transactions. The soak bounds them in records instead: at most ~24k records in memory, ≤ 8k per write.
    /// </summary>
    internal static EngineOptions EngineOptionsFor(SoakOptions o) => EngineOptions.Default with
    {
        BatchSize = o.EngineBatchMessages,
        BufferCapacity = o.EngineBufferMessages,
    };

    private static async Task WaitAgentsStartedAsync(List<SoakAgent> agents, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!agents.All(a => a.Status() is { } s && s.Pid == a.Pid && s.Connected))
        {
            var dead = agents.FirstOrDefault(a => a.Died);
            if (dead != null) throw new InvalidOperationException($"siem-agent {dead.AgentId} exited:\n{dead.Output}");
            if (deadline.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the siem-agent processes did not connect within 60 s:\n" + string.Join("\n", agents.Select(a => a.Output)));
            await Task.Delay(100, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Appends lines at the offered rate (scheduled against the clock, so a slow tick catches up) and samples every interval.</summary>
    private async Task<long> LoadAsync(List<SoakAgent> agents, SoakLatencySink sink, SoakEngine engine, NatsJSContext js, Dictionary<string, int> pids, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long offered = 0, lastOffered = 0, lastIndexed = sink.Written;
        var lastSample = TimeSpan.Zero;
        int next = 0;
        while (clock.Elapsed < _o.Duration)
        {
            long due = (long)(_o.Rate * clock.Elapsed.TotalSeconds);
            long now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            while (offered < due)
            {
                int chunk = (int)Math.Min(due - offered, Math.Max(1, _o.Rate / 20));
                agents[next].AppendLines(chunk, now);
                next = (next + 1) % agents.Count;
                offered += chunk;
            }
            if (clock.Elapsed - lastSample >= _o.Interval)
            {
                var elapsed = clock.Elapsed;
                double seconds = (elapsed - lastSample).TotalSeconds;
                long indexed = sink.Written;
                await SampleAsync(elapsed.TotalSeconds, (offered - lastOffered) / seconds, (indexed - lastIndexed) / seconds, sink, engine, js, pids, "load", cancellationToken).ConfigureAwait(false);
                (lastSample, lastOffered, lastIndexed) = (elapsed, offered, indexed);
            }
            await Task.Delay(50, cancellationToken).ConfigureAwait(false);
        }
        return offered;
    }
}
