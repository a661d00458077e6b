using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Siem.Core.Envelope;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Keys;
using Siem.Engine.Pipeline;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench retire-scan</c>: what <c>siem keys retire</c> spends reading a SIEM_EVENTS backlog for batches sealed
/// to the key (<see cref="UnconsumedBatches.SealedToAsync"/>) against a private nats-server. The backlog is real sealed
/// agent batches (<c>--records</c> each), every other one sealed to the key being retired; each message's sequence
/// headers are its own (the scan reads headers only, so the body of one sealing per key is reused). Prints wall and
/// CPU time (this process and nats-server) per batch; JSON on the last stdout line. Never asserts.
/// </summary>
internal static class RetireScanBench
{
    public static Command CreateCommand()
    {
        var batches = new Option<int>("--batches") { Description = "Batches waiting in SIEM_EVENTS.", DefaultValueFactory = _ => 200_000 };
        var records = new Option<int>("--records") { Description = "Records per batch (the body size follows).", DefaultValueFactory = _ => 2 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result on stdout (figures still go to stderr)." };
        var cmd = new Command("retire-scan", "`siem keys retire`'s scan of a SIEM_EVENTS backlog: batches/s, wall and CPU per batch.");
        foreach (var o in new Option[] { batches, records, json }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int n = pr.GetValue(batches), r = pr.GetValue(records);
            if (n < 1 || r < 1)
            {
                Console.Error.WriteLine("bench retire-scan: --batches and --records must be >= 1");
                return 2;
            }
            Console.WriteLine(await RunAsync(n, r, Console.Error, ct).ConfigureAwait(false));
            return 0;
        });
        return cmd;
    }

    private static async Task<string> RunAsync(int batches, int records, TextWriter log, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("siem-bench-retire-").FullName;
        try
        {
            await using var server = await LocalNatsServer.StartAsync(Path.Combine(dir, "nats"), cancellationToken: cancellationToken).ConfigureAwait(false);
            await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-retire" });
            await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
            var js = new NatsJSContext(connection);
            await EngineStreams.EnsureAsync(js, cancellationToken).ConfigureAwait(false);
            var (old, current) = (EngineKeyPair.Create(), EngineKeyPair.Create());
            var agent = AgentIdentity.Create("bench-retire");
            var events = Enumerable.Range(0, records).Select(i =>
            {
                var e = new LogEvent { RecordId = $"r{i}", AgentId = agent.AgentId, Timestamp = NodaTime.SystemClock.Instance.GetCurrentInstant(), Original = PipelineBench.Line(i, 1000, DateTime.UtcNow) };
                e.Set(EcsFields.Message, e.Original);
                return e;
            }).ToList();
            var bodies = new[] { old, current }.Select(k => new EnvelopeSealer(agent, k.AgreementPublicKey, k.KeyId).Seal(1, LogEventJson.EncodeBatch(events))).ToArray();

            var fill = Stopwatch.StartNew();
            await using (var publisher = js.CreatePublisher(256, TimeSpan.FromSeconds(60)))
            {
                var acks = new List<Task<PubAck>>(batches);
                for (int i = 0; i < batches; i++)
                {
                    var sealedBatch = bodies[i % 2];
                    var headers = new NatsHeaders();
                    foreach (var (k, v) in sealedBatch.Headers)
                    {
                        if (k == EnvelopeFormat.HeaderBatchSeq) headers.Add(k, (i + 1).ToString(CultureInfo.InvariantCulture));
                        else if (k != EnvelopeFormat.HeaderMsgId) headers.Add(k, v);
                    }
                    acks.Add(await publisher.PublishAsync($"siem.events.bench.{agent.AgentId}", sealedBatch.Body, headers, EnvelopeFormat.MsgId(agent.AgentId, (ulong)i + 1), cancellationToken).ConfigureAwait(false));
                }
                await Task.WhenAll(acks).ConfigureAwait(false);
            }
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"backlog: {batches} batches of {records} records ({bodies[0].Body.Length} bytes each) in SIEM_EVENTS after {fill.Elapsed.TotalSeconds:0.0} s; load average {File.ReadAllText("/proc/loadavg").Trim()}"));

            var cpu = CpuMeter.Start(server.Pid);
            var sw = Stopwatch.StartNew();
            var found = await UnconsumedBatches.SealedToAsync(js, old.KeyId, (scanned, waiting) =>
            {
                if (scanned % 50_000 == 0) log.WriteLine(string.Create(CultureInfo.InvariantCulture, $"scan: {scanned} of {waiting} read after {sw.Elapsed.TotalSeconds:0.0} s"));
            }, cancellationToken).ConfigureAwait(false);
            sw.Stop();
            var (self, nats) = cpu.Used(server.Pid);
            double rate = found.Scanned / sw.Elapsed.TotalSeconds;
            log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"scan: {found.Scanned} batches read, {found.Count} sealed to the retiring key, in {sw.Elapsed.TotalSeconds:0.00} s = {rate:0} batches/s; CPU scanner {self.TotalSeconds:0.00} s + nats-server {nats.TotalSeconds:0.00} s = {(self + nats).TotalMicroseconds / found.Scanned:0.0} µs/batch"));
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"batches\":{found.Scanned},\"sealed_to_key\":{found.Count},\"seconds\":{sw.Elapsed.TotalSeconds:0.00},\"batches_per_sec\":{rate:0},\"cpu_us_per_batch\":{(self + nats).TotalMicroseconds / found.Scanned:0.0}}}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }
}
