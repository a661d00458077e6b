using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Siem.Collectors.Agent;
using Siem.Collectors.Enrollment;
using Siem.Collectors.Sources;
using Siem.Core.Security;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench agent</c>: one in-process agent tails a file of sshd syslog lines, parses, batches, seals
/// (X25519 + AES-GCM + Ed25519), spools (write-ahead) and ships to a private local nats-server with PubAcks in
/// flight, committing the file checkpoint after the acks. Prints figures, never asserts.
/// </summary>
internal static class AgentBench
{
    public static Command CreateCommand()
    {
        var lines = new Option<int>("--lines") { Description = "Lines in the tailed file.", DefaultValueFactory = _ => 300_000 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result object." };
        var cmd = new Command("agent", "Agent throughput: tail + parse + encrypt + ship to a private nats-server, lines/s and RSS.");
        cmd.Options.Add(lines);
        cmd.Options.Add(json);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var n = pr.GetValue(lines);
            if (n < 1)
            {
                Console.Error.WriteLine("bench agent: --lines must be >= 1");
                return 2;
            }
            Console.WriteLine(await RunAsync(n, pr.GetValue(json) ? null : Console.Out, ct).ConfigureAwait(false));
            return 0;
        });
        return cmd;
    }

    internal static async Task<string> RunAsync(int count, TextWriter? progress, CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("siem-bench-agent-").FullName;
        try
        {
            await using var server = await LocalNatsServer.StartAsync(cancellationToken: cancellationToken).ConfigureAwait(false);
            progress?.WriteLine($"nats-server pid {server.Pid} on {server.Url}");
            await using (var connection = new NatsConnection(NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-agent-setup" }))
            {
                await connection.ConnectAsync(cancellationToken).ConfigureAwait(false);
                await new NatsJSContext(connection).CreateStreamAsync(new StreamConfig("SIEM_EVENTS", "siem.events.>") { DuplicateWindow = TimeSpan.FromMinutes(2) }, cancellationToken).ConfigureAwait(false);
            }
            var stateDir = Path.Combine(dir, "state");
            var engineKey = EngineKeyPair.Create();
            AgentIdentity.Create("bench-01").Save(Path.Combine(stateDir, EnrollmentState.IdentityFile));
            new EnrollmentState("bench-01", "bench", engineKey.KeyId, Convert.ToBase64String(engineKey.AgreementPublicKey), "siem.events.bench.bench-01").Save(stateDir);

            var logPath = Path.Combine(dir, "auth.log");
            WriteLines(logPath, count);
            progress?.WriteLine($"{count} sshd lines, {new FileInfo(logPath).Length / (1024 * 1024)} MiB in {logPath}");

            var options = new AgentHostOptions
            {
                StateDir = stateDir,
                Nats = NatsOpts.Default with { Servers = [server.Url], Name = "siem-bench-agent" },
                Log = m => progress?.WriteLine($"agent: {m}"),
            };
            var source = new FileTailSource(new FileTailOptions { Paths = [logPath], CheckpointPath = Path.Combine(stateDir, "checkpoints", "auth.json") });
            var self = Process.GetCurrentProcess();
            long peakRss = 0;
            var clock = Stopwatch.StartNew();
            await using (var host = AgentHost.Start(options, [source]))
            {
                while (host.Metrics.RecordsShipped < count)
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    await Task.Delay(20, cancellationToken).ConfigureAwait(false);
                    self.Refresh();
                    peakRss = Math.Max(peakRss, self.WorkingSet64);
                }
                clock.Stop();
                progress?.WriteLine($"shipped {host.Metrics.RecordsShipped} records in {host.Metrics.BatchesAcked} batches, {clock.Elapsed.TotalSeconds:F2} s; errors {host.Metrics.Errors}");
                await host.StopAsync(TimeSpan.FromSeconds(5)).ConfigureAwait(false);
            }
            var perSec = count / clock.Elapsed.TotalSeconds;
            return string.Create(CultureInfo.InvariantCulture, $"{{\"lines_per_sec\":{perSec:F0},\"rss_mb\":{peakRss / (1024.0 * 1024.0):F1}}}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static void WriteLines(string path, int count)
    {
        using var w = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        var users = new[] { "root", "admin", "oracle", "ubuntu", "test", "git", "postgres" };
        for (var i = 0; i < count; i++)
        {
            var ts = string.Create(CultureInfo.InvariantCulture, $"Nov 22 {i / 3600 % 24:D2}:{i / 60 % 60:D2}:{i % 60:D2}");
            var ip = string.Create(CultureInfo.InvariantCulture, $"{45 + i % 150}.{i / 7 % 256}.{i / 11 % 256}.{i % 254 + 1}");
            w.Write((i % 4) switch
            {
                0 => $"{ts} web-01 sshd[{2000 + i % 900}]: Failed password for invalid user {users[i % users.Length]}{i} from {ip} port {30000 + i % 30000} ssh2\n",
                1 => $"{ts} web-01 sshd[{2000 + i % 900}]: Failed password for {users[i % users.Length]} from {ip} port {30000 + i % 30000} ssh2\n",
                2 => $"{ts} web-01 sshd[{2000 + i % 900}]: Accepted publickey for {users[i % users.Length]} from {ip} port {30000 + i % 30000} ssh2: RSA SHA256:abc{i}\n",
                _ => $"{ts} web-01 sshd[{2000 + i % 900}]: Connection closed by authenticating user {users[i % users.Length]} {ip} port {30000 + i % 30000} [preauth]\n",
            });
        }
    }
}
