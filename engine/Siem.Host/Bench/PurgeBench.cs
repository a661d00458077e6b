using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Index;
using Siem.Engine.Purge;
using Siem.Lineage.Audit;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;

namespace Siem.Host.Bench;

/// <summary>
/// <c>siem bench purge</c>: one subject with <c>--subject-records</c> records among <c>--stored</c> records, written
/// directly into the SQLite index and the lineage ledger (not through NATS) over 10 day partitions, then purged with
/// the full job: forward filter, index, files, ledger, the verification of each store and the byte scan of the data
/// dir, and the signed certificate. <c>purge_seconds</c> is the whole job (request to certificate), wall clock;
/// <c>purge_cpu_seconds</c> the CPU this process used for it (steadier on a shared machine), with per-step times.
/// <c>--alerts N</c> adds a JetStream alerts stream (see <see cref="AlertsStream"/>) and the JetStream step.
/// </summary>
internal static partial class PurgeBench
{
    private const string SubjectIp = "198.51.100.7";
    private const int Chunk = 5000;

    public static Command CreateCommand()
    {
        var stored = new Option<int>("--stored") { Description = "Records stored in total", DefaultValueFactory = _ => 1_000_000 };
        var subjectRecords = new Option<int>("--subject-records") { Description = "Records of the purged subject among them", DefaultValueFactory = _ => 10_000 };
        var data = new Option<string?>("--data") { Description = "Data dir to fill (default: a temporary one, deleted afterwards)" };
        var template = new Option<string?>("--template") { Description = "Keep the filled data dir here and copy it for each run (filled on first use; the fill takes minutes at 1M)" };
        var json = new Option<bool>("--json") { Description = "Print only the JSON result object" };
        var alerts = new Option<int>("--alerts") { Description = "Also purge a private nats-server's SIEM_ALERTS holding this many alerts (1 in 100 of the subject's)", DefaultValueFactory = _ => 0 };
        var readWhole = new Option<bool>("--alerts-read-whole") { Description = "Read SIEM_ALERTS whole in the purge step instead of fetching the ledger's sequences (as before)" };
        var cmd = new Command("purge", "Purge one subject's records among many stored (SQLite index + ledger) and verify it.");
        foreach (var o in new Option[] { stored, subjectRecords, data, template, json, alerts, readWhole }) cmd.Options.Add(o);
        cmd.SetAction(async (ParseResult pr, CancellationToken ct) =>
        {
            int total = pr.GetValue(stored), subject = pr.GetValue(subjectRecords);
            if (total <= 0 || subject <= 0 || subject > total)
            {
                Console.Error.WriteLine("bench purge: need 0 < --subject-records <= --stored");
                return 2;
            }
            bool temp = pr.GetValue(data) == null;
            var dir = pr.GetValue(data) ?? Directory.CreateTempSubdirectory("siem-bench-purge-").FullName;
            try
            {
                return await RunAsync(dir, pr.GetValue(template), total, subject, pr.GetValue(json), (pr.GetValue(alerts), pr.GetValue(readWhole)), ct).ConfigureAwait(false);
            }
            finally
            {
                if (temp) Directory.Delete(dir, recursive: true);
            }
        });
        return cmd;
    }

    private static async Task<int> RunAsync(string dir, string? template, int total, int subjectCount, bool jsonOnly, (int Count, bool ReadWhole) alerts, CancellationToken ct)
    {
        var log = jsonOnly ? TextWriter.Null : Console.Out;
        var fill = Stopwatch.StartNew();
        if (template != null)
        {
            string marker = Path.Combine(template, ".bench-fill"), expected = string.Create(CultureInfo.InvariantCulture, $"{total} {subjectCount}");
            if (!File.Exists(marker) || File.ReadAllText(marker) != expected)
            {
                if (Directory.Exists(template)) Directory.Delete(template, recursive: true);
                await FillAsync(template, total, subjectCount, log, ct).ConfigureAwait(false);
                File.WriteAllText(marker, expected);
            }
            CopyTree(template, dir);
            File.Delete(Path.Combine(dir, ".bench-fill"));
            log.WriteLine($"bench purge: copied the filled data dir from {template} in {fill.Elapsed.TotalSeconds:0.0} s");
        }
        else
        {
            await FillAsync(dir, total, subjectCount, log, ct).ConfigureAwait(false);
        }
        double fillSeconds = fill.Elapsed.TotalSeconds;
        return await PurgeAsync(dir, fillSeconds, total, subjectCount, alerts, log, ct).ConfigureAwait(false);
    }

    private static void CopyTree(string from, string to)
    {
        foreach (var d in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, d)));
        foreach (var f in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(f, Path.Combine(to, Path.GetRelativePath(from, f)), overwrite: true);
    }

    private static async Task FillAsync(string dir, int total, int subjectCount, TextWriter log, CancellationToken ct)
    {
        var subjects = SubjectPseudonymizer.Open(dir);
        var fill = Stopwatch.StartNew();
        await using (var index = SqliteIndexSink.Open(dir))
        await using (var ledger = LineageLedger.Open(dir))
        {
            var lineage = new PipelineLineage(ledger, subjects, "bench", "sqlite");
            int every = total / subjectCount;
            var start = Instant.FromUtc(2026, 11, 1, 0, 0);
            var perRecord = Duration.FromDays(10) / total;
            var batch = new List<LogEvent>(Chunk);
            ulong seq = 0;
            for (int i = 0; i < total; i++)
            {
                bool isSubject = i % every == 0 && i / every < subjectCount;
                string ip = isSubject ? SubjectIp : string.Create(CultureInfo.InvariantCulture, $"10.{i % 250}.{i / 250 % 250}.{i / 62500 % 250 + 1}");
                string user = isSubject ? "subject" : string.Create(CultureInfo.InvariantCulture, $"user{i % 5000}");
                var e = new LogEvent
                {
                    RecordId = string.Create(CultureInfo.InvariantCulture, $"bench-{i:D8}"),
                    AgentId = "bench-agent",
                    Timestamp = start + perRecord * i,
                    Original = string.Create(CultureInfo.InvariantCulture, $"Nov {1 + i * 10 / total:D2} web{i % 7} sshd[{1000 + i % 9000}]: Failed password for {user} from {ip} port {1024 + i % 60000} ssh2"),
                };
                e.Set(EcsFields.Message, e.Original);
                e.Set(EcsFields.UserName, user);
                e.Set(EcsFields.SourceIp, ip);
                e.Set(EcsFields.HostName, string.Create(CultureInfo.InvariantCulture, $"web{i % 7}"));
                batch.Add(e);
                if (batch.Count == Chunk || i == total - 1)
                {
                    await index.WriteAsync(batch, [], ct).ConfigureAwait(false);
                    var now = SystemClock.Instance.GetCurrentInstant();
                    seq++;
                    await ledger.RecordBatchAsync(new BatchLineage("bench-agent", seq, "SIEM_EVENTS", seq, "bench", "sqlite", now, now, [.. batch.Select(lineage.Describe)]), ct).ConfigureAwait(false);
                    batch.Clear();
                    if (seq % 40 == 0) log.WriteLine($"bench purge: stored {i + 1} of {total} records ({fill.Elapsed.TotalSeconds:0} s)");
                }
            }
        }
        log.WriteLine($"bench purge: stored {total} records ({subjectCount} of the subject) in {fill.Elapsed.TotalSeconds:0.0} s");
    }

    private static async Task<int> PurgeAsync(string dir, double fillSeconds, int total, int subjectCount, (int Count, bool ReadWhole) alerts, TextWriter log, CancellationToken ct)
    {
        var subjects = SubjectPseudonymizer.Open(dir);
        PurgeRunResult result;
        var timed = new List<TimedPurgeTarget>();
        double seconds, cpuSeconds, serverCpuSeconds = 0;
        await using (var stream = alerts.Count > 0 ? await AlertsStream.StartAsync(ct).ConfigureAwait(false) : null)
        await using (var index = SqliteIndexSink.Open(dir))
        await using (var ledger = LineageLedger.Open(dir))
        {
            if (stream != null) await stream.FillAsync(alerts.Count, subjectCount, total, ledger, subjects, log, ct).ConfigureAwait(false);
            timed.AddRange([new(new ForwardFilterTarget()), new(new IndexPurgeTarget(index))]);
            if (stream != null) timed.Add(new(stream.Target(subjects, alerts.ReadWhole ? null : ledger)));
            timed.AddRange([new(new FilesPurgeTarget()), new(new LedgerPurgeTarget(ledger))]);
            log.WriteLine("bench purge: purging");
            var clock = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var serverCpu = stream == null ? TimeSpan.Zero : CpuMeter.ProcessCpu(stream.Server.Pid);
            var coordinator = new PurgeCoordinator(dir, timed, subjects, new AuditLog(dir), new PurgeOptions { Log = m => log.WriteLine(m) });
            var job = await coordinator.RequestAsync(EcsFields.SourceIp, SubjectIp, "bench", "bench purge", cancellationToken: ct).ConfigureAwait(false);
            result = await coordinator.RunAsync(job.Id, "bench", ct).ConfigureAwait(false);
            seconds = clock.Elapsed.TotalSeconds;
            cpuSeconds = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            if (stream != null) serverCpuSeconds = (CpuMeter.ProcessCpu(stream.Server.Pid) - serverCpu).TotalSeconds;
        }
        long deleted = result.Job.Steps.Single(s => s.Store == "index").Deleted;
        log.WriteLine($"bench purge: {deleted} index documents deleted, verified={result.Verified}, {seconds:0.00} s for the whole job (steps, verification, byte scan, certificate)");
        foreach (var c in result.Checks) log.WriteLine($"  {c.Store}: {(c.Clean ? "clean" : "NOT CLEAN")} {string.Join("; ", c.Where.Take(3))}");
        var output = new Dictionary<string, object>
        {
            ["stored"] = total,
            ["subject_records"] = subjectCount,
            ["purge_seconds"] = Math.Round(seconds, 3),
            ["purge_cpu_seconds"] = Math.Round(cpuSeconds, 3),
            ["verified"] = result.Verified,
            ["index_deleted"] = deleted,
            ["step_seconds"] = timed.ToDictionary(t => t.Name, t => Math.Round(t.PurgeSeconds, 3)),
            ["verify_seconds"] = timed.ToDictionary(t => t.Name, t => Math.Round(t.VerifySeconds, 3)),
            ["step_cpu_seconds"] = timed.ToDictionary(t => t.Name, t => Math.Round(t.PurgeCpuSeconds, 3)),
            ["fill_seconds"] = Math.Round(fillSeconds, 1),
            ["load_average"] = File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "",
        };
        if (alerts.Count > 0)
        {
            output["alerts"] = alerts.Count;
            output["nats_server_cpu_seconds"] = Math.Round(serverCpuSeconds, 3);
            output["jetstream_note"] = result.Job.Steps.Single(s => s.Store == "jetstream").Note ?? "";
        }
        Console.Out.WriteLine(JsonSerializer.Serialize(output));
        return result.Verified ? 0 : 1;
    }
}
