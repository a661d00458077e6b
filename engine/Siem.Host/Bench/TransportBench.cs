using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench transport</c>: JetStream throughput through Siem.Nats against a private nats-server —
/// acknowledged publishes (many PubAcks in flight) into a file-storage stream, then a durable pull consumer
/// that receives and acks every message. Prints figures, never asserts.
/// </summary>
internal static class TransportBench
{
    private const string StreamName = "BENCH_TRANSPORT";
    private const string Subject = "bench.transport";

    public static Command CreateCommand()
    {
        var messages = new Option<int>("--messages") { Description = "Messages to publish and consume.", DefaultValueFactory = _ => 200_000 };
        var size = new Option<int>("--size") { Description = "Payload bytes per message.", DefaultValueFactory = _ => 256 };
        var window = new Option<int>("--window") { Description = "PubAcks in flight (1024 measured best here: larger windows cost client CPU without raising the rate).", DefaultValueFactory = _ => 1024 };
        var batch = new Option<int>("--batch") { Description = "Pull batch size.", DefaultValueFactory = _ => 1000 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result object." };
        var cmd = new Command("transport", "JetStream publish (acks in flight) and pull consume+ack throughput against a private nats-server.");
        cmd.Options.Add(messages);
        cmd.Options.Add(size);
        cmd.Options.Add(window);
        cmd.Options.Add(batch);
        cmd.Options.Add(json);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int n = pr.GetValue(messages), b = pr.GetValue(size), w = pr.GetValue(window), bt = pr.GetValue(batch);
            bool quiet = pr.GetValue(json);
            if (n < 1 || b < 0 || w < 1 || bt < 1)
            {
                Console.Error.WriteLine("bench transport: --messages, --window and --batch must be >= 1 and --size >= 0");
                return 2;
            }
            var result = await RunAsync(n, b, w, bt, quiet ? null : Console.Out, ct).ConfigureAwait(false);
            Console.WriteLine(result);
            return 0;
        });
        return cmd;
    }

    internal static async Task<string> RunAsync(int count, int size, int window, int batch, TextWriter? progress, CancellationToken cancellationToken)
    {
        await using var server = await LocalNatsServer.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
        progress?.WriteLine($"nats-server pid {server.Pid} on {server.Url}, store {server.StoreDir}");
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-transport" });
        await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
        var js = new NatsJSContext(connection);

        // Warm-up on a throwaway stream so JIT tiering is done before the timed runs (as BenchmarkDotNet does).
        // Tier-1 (PGO) code replaces the first JIT only after a few seconds of hot running on a loaded machine.
        int warmup = Math.Clamp(count / 2, 1, 100_000);
        await js.CreateStreamAsync(new StreamConfig(StreamName, Subject) { Storage = StorageType.File }, cancellationToken).ConfigureAwait(false);
        await PublishAsync(js, warmup, size, window, null, server.Pid, cancellationToken).ConfigureAwait(false);
        await ConsumeAsync(js, connection, warmup, batch, null, server.Pid, cancellationToken).ConfigureAwait(false);
        await js.DeleteStreamAsync(StreamName, cancellationToken).ConfigureAwait(false);
        progress?.WriteLine($"warm-up: {warmup} messages published and consumed (not timed)");

        await js.CreateStreamAsync(new StreamConfig(StreamName, Subject) { Storage = StorageType.File }, cancellationToken).ConfigureAwait(false);
        double publishRate = await PublishAsync(js, count, size, window, progress, server.Pid, cancellationToken).ConfigureAwait(false);
        double consumeRate = await ConsumeAsync(js, connection, count, batch, progress, server.Pid, cancellationToken).ConfigureAwait(false);

        return JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["messages"] = count,
            ["size"] = size,
            ["publish_per_sec"] = Math.Round(publishRate),
            ["consume_per_sec"] = Math.Round(consumeRate),
        });
    }

    private static async Task<double> PublishAsync(NatsJSContext js, int count, int size, int window, TextWriter? progress, int serverPid, CancellationToken cancellationToken)
    {
        var payload = new byte[size];
        new Random(42).NextBytes(payload);
        var acks = new Task<PubAck>[count];
        await using var publisher = js.CreatePublisher(window, TimeSpan.FromSeconds(30));
        var cpu = CpuMeter.Start(serverPid);
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < count; i++)
            acks[i] = await publisher.PublishAsync(Subject, payload, cancellationToken: cancellationToken).ConfigureAwait(false);
        ulong last = 0;
        int failed = 0;
        foreach (var ack in acks)
        {
            try
            {
                last = Math.Max(last, (await ack.ConfigureAwait(false)).Seq);
            }
            catch (NatsException)
            {
                failed++;
            }
        }
        sw.Stop();
        double rate = count / sw.Elapsed.TotalSeconds;
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"publish: {count} x {size} B in {sw.Elapsed.TotalSeconds:0.000} s = {rate:0} msgs/s ({rate * size / 1e6:0.0} MB/s), window {window}, last seq {last}, failed {failed}"));
        progress?.WriteLine("publish " + cpu.PerMessage(serverPid, count));
        if (failed > 0) throw new InvalidOperationException($"{failed} of {count} publishes got no PubAck");
        return rate;
    }

    private static async Task<double> ConsumeAsync(NatsJSContext js, NatsConnection connection, int count, int batch, TextWriter? progress, int serverPid, CancellationToken cancellationToken)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(StreamName, new ConsumerConfig("bench")
        {
            AckPolicy = AckPolicy.Explicit,
            MaxAckPending = Math.Max(batch * 4, 10_000),
            AckWait = TimeSpan.FromMinutes(1),
        }, cancellationToken).ConfigureAwait(false);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        int received = 0;
        var cpu = CpuMeter.Start(serverPid);
        var sw = Stopwatch.StartNew();
        await foreach (var msg in consumer.ConsumeAsync(batch, cancellationToken: cts.Token).ConfigureAwait(false))
        {
            await msg.AckAsync(cts.Token).ConfigureAwait(false);
            if (++received == count) break;
        }
        await connection.PingAsync(cancellationToken).ConfigureAwait(false); // every ack is on the wire
        sw.Stop();
        double rate = count / sw.Elapsed.TotalSeconds;
        var info = await consumer.RefreshAsync(cancellationToken).ConfigureAwait(false);
        progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"consume+ack: {count} in {sw.Elapsed.TotalSeconds:0.000} s = {rate:0} msgs/s, batch {batch}, ack floor {info.AckFloor.StreamSeq}, ack pending {info.NumAckPending}"));
        progress?.WriteLine("consume+ack " + cpu.PerMessage(serverPid, count));
        await js.DeleteConsumerAsync(StreamName, "bench", cancellationToken).ConfigureAwait(false);
        return rate;
    }
}
