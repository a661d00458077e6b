using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Siem.Collectors.Agent;
using Siem.Collectors.Delivery;
using Siem.Core.Security;
using Siem.Host.Bench.Soak;
using Siem.Host.Infrastructure;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench agent</c>: a real <c>siem-agent run</c> child process tails a file of sshd syslog lines, parses,
/// batches, seals (X25519 + AES-GCM + Ed25519), spools (write-ahead) and ships to a private local nats-server with
/// PubAcks in flight, committing the file checkpoint after the acks. Its RSS is the agent's alone; its CPU time and
/// managed allocations per line (from /proc and its status file) do not depend on how loaded the machine is, unlike
/// lines/s. Prints figures, never asserts.
/// </summary>
internal static class AgentBench
{
    public static Command CreateCommand()
    {
        var lines = new Option<int>("--lines") { Description = "Lines in the tailed file.", DefaultValueFactory = _ => 300_000 };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result object." };
        var executable = new Option<string?>("--agent") { Description = "A published siem-agent executable to measure instead of the Native AOT one deploy/build-agent.sh builds." };
        var jit = new Option<bool>("--jit") { Description = "Measure the built siem-agent.dll (JIT) instead of the Native AOT agent." };
        var cmd = new Command("agent", "Agent throughput: tail + parse + encrypt + ship to a private nats-server, lines/s and RSS (of the Native AOT agent, built when missing or stale).");
        cmd.Options.Add(lines);
        cmd.Options.Add(json);
        cmd.Options.Add(executable);
        cmd.Options.Add(jit);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            var n = pr.GetValue(lines);
            if (n < 1)
            {
                Console.Error.WriteLine("bench agent: --lines must be >= 1");
                return 2;
            }
            var agentPath = pr.GetValue(executable);
            if (agentPath is not null && !File.Exists(agentPath))
            {
                Console.Error.WriteLine($"bench agent: --agent {agentPath}: no such file (build it with deploy/build-agent.sh)");
                return 2;
            }
            if (agentPath is not null && pr.GetValue(jit))
            {
                Console.Error.WriteLine("bench agent: give --agent PATH or --jit, not both");
                return 2;
            }
            if (agentPath is null && !pr.GetValue(jit))
            {
                try
                {
                    agentPath = await AgentBenchExecutable.EnsureAotAsync(Console.Error, ct).ConfigureAwait(false);
                }
                catch (InvalidOperationException e)
                {
                    Console.Error.WriteLine($"bench agent: {e.Message}");
                    return 1;
                }
            }
            Console.WriteLine(await RunAsync(n, pr.GetValue(json) ? null : Console.Out, ct, agentPath is null ? null : Path.GetFullPath(agentPath)).ConfigureAwait(false));
            return 0;
        });
        return cmd;
    }

    internal static async Task<string> RunAsync(int count, TextWriter? progress, CancellationToken cancellationToken, string? agentExecutable = null)
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
            using var agent = SoakAgent.Enroll("bench-01", "bench", dir, EngineKeyPair.Create(), new AgentRegistry(), agentExecutable);
            // The agent's own batch defaults: the bench measures the agent as deployed.
            agent.WriteConfig([server.Url], maxRecords: BatchOptions.Default.MaxRecords, lingerMs: (int)BatchOptions.Default.Linger.TotalMilliseconds, maxBatchBytes: BatchOptions.Default.MaxBytes);
            var input = Path.Combine(dir, "lines.tmp");
            WriteLines(input, count);
            progress?.WriteLine($"{count} sshd lines, {new FileInfo(input).Length / (1024 * 1024)} MiB");

            // Start on the empty file and wait until it runs, so start-up (runtime, JIT of start-up code) is not counted per line.
            agent.Start();
            var before = await WaitForStatusAsync(agent, s => s.Pid == agent.Pid, cancellationToken).ConfigureAwait(false);
            var cpuBefore = CpuMeter.ProcessCpu(agent.Pid);
            var serverCpuBefore = CpuMeter.ProcessCpu(server.Pid);
            progress?.WriteLine($"siem-agent pid {agent.Pid} ({agentExecutable ?? "siem-agent.dll"}) running; rss {before.RssBytes / (1024 * 1024)} MiB before the lines");
            var clock = Stopwatch.StartNew();
            await using (var from = File.OpenRead(input))
            await using (var to = new FileStream(agent.LogPath, FileMode.Append, FileAccess.Write))
            {
                await from.CopyToAsync(to, cancellationToken).ConfigureAwait(false);
            }
            var after = await WaitForStatusAsync(agent, s => s.RecordsShipped >= count, cancellationToken).ConfigureAwait(false);
            clock.Stop();
            var cpu = CpuMeter.ProcessCpu(agent.Pid) - cpuBefore;
            var serverCpu = CpuMeter.ProcessCpu(server.Pid) - serverCpuBefore;
            var peakRss = PeakRssBytes(agent.Pid);
            progress?.WriteLine($"shipped {after.RecordsShipped} records in {after.BatchesAcked - before.BatchesAcked} batches, {clock.Elapsed.TotalSeconds:F2} s wall; errors {after.Errors}");
            progress?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"CPU: agent {cpu.TotalMicroseconds / count:F2} µs/line ({cpu.TotalSeconds:F2} s), nats-server {serverCpu.TotalMicroseconds / count:F2} µs/line; agent allocated {(after.AllocatedBytes - before.AllocatedBytes) / (double)count:F0} bytes/line; GC heap committed {after.GcCommittedBytes / (1024.0 * 1024.0):F1} MiB of {after.RssBytes / (1024.0 * 1024.0):F1} MiB resident"));
            if (!agent.Stop(TimeSpan.FromSeconds(10))) progress?.WriteLine("siem-agent did not stop on SIGTERM within 10 s; killed");
            var perSec = count / clock.Elapsed.TotalSeconds;
            return string.Create(CultureInfo.InvariantCulture,
                $"{{\"lines_per_sec\":{perSec:F0},\"rss_mb\":{peakRss / (1024.0 * 1024.0):F1},\"cpu_us_per_line\":{cpu.TotalMicroseconds / count:F2},\"alloc_bytes_per_line\":{(after.AllocatedBytes - before.AllocatedBytes) / (double)count:F0},\"nats_server_cpu_us_per_line\":{serverCpu.TotalMicroseconds / count:F2}}}");
        }
        finally
        {
            try { Directory.Delete(dir, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task<AgentStatus> WaitForStatusAsync(SoakAgent agent, Func<AgentStatus, bool> done, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (agent.Died) throw new InvalidOperationException($"siem-agent exited during the bench:\n{agent.Output}");
            if (agent.Status() is { } s && done(s)) return s;
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>VmHWM: the most the agent process ever had resident.</summary>
    private static long PeakRssBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return line is null ? 0 : long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
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
