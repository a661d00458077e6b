using System.Diagnostics;
using System.Globalization;
using Siem.Collectors.Agent;
using Siem.Collectors.Delivery;
using Siem.Collectors.Sources;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

internal static partial class PipelineBench
{
    private const string NewUserRule = "cd54ce00-e0fd-4455-9c95-68c3cad1326a";

    /// <summary>Raw JetStream publish rate of real sealed agent batches (acks in flight as the agent keeps them), in events/s.</summary>
    private static async Task<(double Rate, double CpuPerEvent)> CeilingAsync(NatsJSContext js, EngineKeyPair engineKey, int serverPid, TextWriter log, CancellationToken cancellationToken)
    {
        var (body, records) = SealedBatch(engineKey, BatchOptions.Default.MaxRecords);
        int window = ShipperOptions.Default.MaxInFlight;
        // About 200 MB per timed run: long enough to reach a steady state, small enough for the disk.
        int count = Math.Clamp(200_000_000 / body.Length, 200, 20_000);
        await js.CreateStreamAsync(new StreamConfig("BENCH_CEILING", "bench.ceiling") { Storage = StorageType.File }, cancellationToken).ConfigureAwait(false);
        await PublishAsync(js, body, count / 4, window, cancellationToken).ConfigureAwait(false); // warm-up (JIT, file store)
        await js.PurgeStreamAsync("BENCH_CEILING", cancellationToken: cancellationToken).ConfigureAwait(false);
        var cpu = CpuMeter.Start(serverPid);
        var sw = Stopwatch.StartNew();
        await PublishAsync(js, body, count, window, cancellationToken).ConfigureAwait(false);
        sw.Stop();
        var (self, server) = cpu.Used(serverPid);
        await js.DeleteStreamAsync("BENCH_CEILING", cancellationToken).ConfigureAwait(false);
        double msgs = count / sw.Elapsed.TotalSeconds;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"ceiling: {count} sealed batches of {records} records ({body.Length / 1024.0:0} KiB) in {sw.Elapsed.TotalSeconds:0.00} s = {msgs:0} msgs/s = {msgs * records:0} events/s ({msgs * body.Length / 1e6:0} MB/s), {window} acks in flight; {cpu.PerMessage(serverPid, count)}"));
        return (msgs * records, (self + server).TotalSeconds / ((double)count * records));
    }

    private static async Task PublishAsync(NatsJSContext js, byte[] body, int count, int window, CancellationToken cancellationToken)
    {
        var acks = new Task<PubAck>[count];
        await using var publisher = js.CreatePublisher(window, TimeSpan.FromSeconds(30));
        for (int i = 0; i < count; i++) acks[i] = await publisher.PublishAsync("bench.ceiling", body, cancellationToken: cancellationToken).ConfigureAwait(false);
        foreach (var ack in acks) await ack.ConfigureAwait(false);
    }

    /// <summary>One batch as the agent ships it: generated auth.log lines, parsed, JSON-encoded, sealed (X25519 + AES-GCM + Ed25519).</summary>
    private static (byte[] Body, int Records) SealedBatch(EngineKeyPair engineKey, int records)
    {
        var agent = AgentIdentity.Create("bench-ceiling");
        var parser = new Siem.Collectors.Parsing.ParserPipeline(Siem.Collectors.Parsing.ParserOptions.Default with { AgentId = agent.AgentId });
        var events = new List<LogEvent>(records);
        long offset = 0;
        for (int i = 0; events.Count < records; i++)
        {
            var text = Line(i, triggerEvery: 1000, DateTime.UtcNow);
            parser.Parse(new RawLine("file", "auth.log", offset, offset + text.Length + 1, text, Path: "/var/log/auth.log"), events);
            offset += text.Length + 1;
        }
        var sealer = new EnvelopeSealer(agent, engineKey.AgreementPublicKey, engineKey.KeyId);
        return (sealer.Seal(1, LogEventJson.EncodeBatch(events)).Body, events.Count);
    }

    /// <summary>Agent → broker → engine → SQLite over a file written beforehand; events/s from the agent's start to the last event indexed.</summary>
    private static async Task<(double Rate, double CpuPerEvent)> ThroughputAsync(string dir, string url, NatsConnection connection, EngineKeyPair engineKey, AgentRegistry registry,
        SigmaDetector detector, int lines, int serverPid, TextWriter log, CancellationToken cancellationToken)
    {
        var logPath = Path.Combine(dir, "throughput-auth.log");
        await using (var w = new StreamWriter(logPath))
        {
            var start = DateTime.UtcNow.AddHours(-2);
            for (int i = 0; i < lines; i++) await w.WriteLineAsync(Line(i, triggerEvery: 1000, start.AddMilliseconds(i * 10))).ConfigureAwait(false);
        }
        var stateDir = PrepareAgent(dir, "bench-tp", engineKey, registry);
        await using var engine = await EngineUnderTest.StartAsync(connection, Path.Combine(dir, "index-tp"), engineKey, registry, detector, log, cancellationToken).ConfigureAwait(false);
        var source = new FileTailSource(new FileTailOptions { Paths = [logPath], CheckpointPath = Path.Combine(stateDir, "checkpoints", "auth.json") });
        var cpu = CpuMeter.Start(serverPid);
        var sw = Stopwatch.StartNew();
        await using var agent = AgentHost.Start(AgentOptions(stateDir, url, log), [source]);
        await WaitAsync(() => engine.Pipeline.Stats.EventsIndexed >= lines, () => engine.Pipeline.Stats.EventsIndexed, "throughput: every line indexed", cancellationToken).ConfigureAwait(false);
        sw.Stop();
        var s = engine.Pipeline.Stats;
        double rate = lines / sw.Elapsed.TotalSeconds;
        var (self, server) = cpu.Used(serverPid);
        double cpuPerEvent = (self + server).TotalSeconds / lines;
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"throughput: {lines} lines shipped in {agent.Metrics.BatchesAcked} batches, {s.EventsIndexed} events indexed, {s.AlertsRaised} alerts raised ({s.AlertsUpdated} updates), {s.Redeliveries} redeliveries in {sw.Elapsed.TotalSeconds:0.00} s = {rate:0} events/s; CPU agent+engine {self.TotalSeconds:0.0} s + nats-server {server.TotalSeconds:0.0} s = {cpuPerEvent * 1e6:0.0} µs/event"));
        log.WriteLine($"throughput: engine CPU by stage {s.Cpu.PerEvent(lines)}");
        await agent.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        return (rate, cpuPerEvent);
    }

    /// <summary>Lines appended at <paramref name="rate"/>/s for <paramref name="seconds"/> s; one in 100 opens a new alert. Returns the p99 (ms) from line written to alert indexed.</summary>
    private static async Task<double> LatencyAsync(string dir, string url, NatsConnection connection, EngineKeyPair engineKey, AgentRegistry registry,
        SigmaDetector detector, int rate, int seconds, TextWriter log, CancellationToken cancellationToken)
    {
        const int triggerEvery = 100;
        var logPath = Path.Combine(dir, "latency-auth.log");
        File.WriteAllText(logPath, "");
        int total = rate * seconds;
        var written = new long[total / triggerEvery + 1];
        var observed = new long[written.Length];
        var stateDir = PrepareAgent(dir, "bench-lat", engineKey, registry);
        await using var engine = await EngineUnderTest.StartAsync(connection, Path.Combine(dir, "index-lat"), engineKey, registry, detector, log, cancellationToken).ConfigureAwait(false);
        engine.Pipeline.AlertIndexed += (alert, isNew) =>
        {
            if (isNew && alert.RuleId == NewUserRule && alert.GroupBy.TryGetValue("user.name", out var user)
                && user.StartsWith("lat", StringComparison.Ordinal) && int.TryParse(user.AsSpan(3), NumberStyles.None, CultureInfo.InvariantCulture, out int k) && k < observed.Length)
                Interlocked.CompareExchange(ref observed[k], Stopwatch.GetTimestamp(), 0);
        };
        var source = new FileTailSource(new FileTailOptions { Paths = [logPath], CheckpointPath = Path.Combine(stateDir, "checkpoints", "auth.json") });
        await using var agent = AgentHost.Start(AgentOptions(stateDir, url, log), [source]);

        await using (var file = new StreamWriter(new FileStream(logPath, FileMode.Append, FileAccess.Write, FileShare.ReadWrite)))
        {
            var sw = Stopwatch.StartNew();
            int next = 0;
            var pending = new List<int>();
            while (next < total)
            {
                int due = (int)Math.Min(total, sw.Elapsed.TotalSeconds * rate);
                for (; next < due; next++)
                {
                    await file.WriteLineAsync(Line(next, triggerEvery, DateTime.UtcNow, triggerPrefix: "lat")).ConfigureAwait(false);
                    if (next % triggerEvery == 0) pending.Add(next / triggerEvery);
                }
                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                long now = Stopwatch.GetTimestamp();
                foreach (var k in pending) written[k] = now;
                pending.Clear();
                await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            }
            log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"latency: wrote {total} lines in {sw.Elapsed.TotalSeconds:0.00} s ({total / sw.Elapsed.TotalSeconds:0} lines/s offered), {written.Length} alert triggers"));
        }
        int triggers = (total + triggerEvery - 1) / triggerEvery;
        using (var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
        {
            // A backlog the engine cannot clear in two minutes is reported as such, not waited out.
            bounded.CancelAfter(TimeSpan.FromMinutes(2));
            try
            {
                await WaitAsync(() => observed.Take(triggers).All(o => o != 0), () => observed.Count(o => o != 0), "latency: every trigger's alert indexed", bounded.Token, stallLimit: TimeSpan.FromSeconds(30), throwOnStall: false).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
            }
        }
        long end = Stopwatch.GetTimestamp();
        var latencies = Enumerable.Range(0, triggers)
            .Select(k => Stopwatch.GetElapsedTime(written[k], observed[k] != 0 ? observed[k] : end).TotalMilliseconds)
            .Order().ToArray();
        int missing = observed.Take(triggers).Count(o => o == 0);
        double p50 = latencies[latencies.Length / 2], p99 = latencies[(int)Math.Ceiling(latencies.Length * 0.99) - 1], max = latencies[^1];
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"latency: {triggers - missing}/{triggers} alerts indexed; line written → alert indexed p50 {p50:0} ms, p99 {p99:0} ms, max {max:0} ms{(missing > 0 ? $" ({missing} never arrived, counted up to the end of the wait)" : "")}; agent file poll {new FileTailOptions { Paths = [], CheckpointPath = "" }.PollInterval.TotalMilliseconds:0} ms, batch linger {BatchOptions.Default.Linger.TotalMilliseconds:0} ms"));
        await agent.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
        return p99;
    }

    private static async Task WaitAsync(Func<bool> done, Func<long> progress, string what, CancellationToken cancellationToken, TimeSpan? stallLimit = null, bool throwOnStall = true)
    {
        var limit = stallLimit ?? TimeSpan.FromSeconds(60);
        long last = -1;
        var since = Stopwatch.StartNew();
        while (!done())
        {
            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
            long now = progress();
            if (now != last)
            {
                last = now;
                since.Restart();
            }
            else if (since.Elapsed > limit)
            {
                if (!throwOnStall) return;
                throw new TimeoutException($"bench pipeline: no progress for {limit.TotalSeconds:0} s waiting for {what} (at {now})");
            }
        }
    }
}
