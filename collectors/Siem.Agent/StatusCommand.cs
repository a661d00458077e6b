using System.CommandLine;
using System.Text.Json;
using Siem.Collectors.Agent;

namespace Siem.Agent;

/// <summary><c>siem-agent status --state DIR</c>: prints what the running agent last wrote to status.json.</summary>
internal static class StatusCommand
{
    public static Command Create()
    {
        var state = new Option<string>("--state") { Description = "State dir of the agent", DefaultValueFactory = _ => "/var/lib/siem-agent" };
        var json = new Option<bool>("--json") { Description = "Print the raw JSON" };
        var cmd = new Command("status", "Show the agent's counters, checkpoints and spool size.") { state, json };
        cmd.SetAction((ParseResult pr) =>
        {
            AgentStatus s;
            try
            {
                s = AgentStatus.Load(pr.GetValue(state)!);
            }
            catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
            {
                Console.Error.WriteLine($"siem-agent status: {e.Message}");
                return 1;
            }
            if (pr.GetValue(json))
            {
                Console.WriteLine(s.ToJson());
                return 0;
            }
            var age = DateTimeOffset.UtcNow - s.UpdatedAt;
            Console.WriteLine($"agent           {s.AgentId} (tenant {s.Tenant}, pid {s.Pid}, updated {age.TotalSeconds:F0}s ago)");
            Console.WriteLine($"broker          {(s.Connected ? "connected" : "DISCONNECTED")}");
            Console.WriteLine($"lines read      {s.LinesRead}");
            Console.WriteLine($"records shipped {s.RecordsShipped}");
            Console.WriteLine($"batches acked   {s.BatchesAcked} (spooled {s.BatchesSpooled}, drained {s.BatchesDrained})");
            Console.WriteLine($"dropped         {s.RecordsDropped} records in {s.BatchesDropped} batches");
            Console.WriteLine($"errors          {s.Errors}");
            Console.WriteLine($"spool           {s.SpoolBatches} batches, {s.SpoolBytes} bytes");
            Console.WriteLine($"next batch seq  {s.NextBatchSeq}");
            Console.WriteLine($"engine key      {s.EngineKeyId}{(s.KeyProblem is { } problem ? $" — PROBLEM: {problem}" : "")}");
            Console.WriteLine($"process         cpu {s.CpuMs / 1000.0:F1} s, rss {s.RssBytes / (1024 * 1024)} MiB (peak {s.PeakRssBytes / (1024 * 1024)} MiB, GC heap {s.GcCommittedBytes / (1024 * 1024)} MiB), allocated {s.AllocatedBytes / (1024 * 1024)} MiB");
            foreach (var (key, offset) in s.Checkpoints) Console.WriteLine($"checkpoint      {key} @ {offset}");
            return 0;
        });
        return cmd;
    }
}
