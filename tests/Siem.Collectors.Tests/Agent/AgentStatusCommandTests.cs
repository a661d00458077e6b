using System.Globalization;
using System.Text.Json;
using Siem.Collectors.Agent;

namespace Siem.Collectors.Tests.Agent;

/// <summary><c>siem-agent status</c> against a real running <c>siem-agent run</c> process and a real nats-server.</summary>
public sealed class AgentStatusCommandTests
{
    [Fact]
    public async Task Status_of_a_running_agent_shows_its_counters_checkpoint_and_process_figures()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var config = AgentProcess.WriteConfig(kit);
        kit.AppendLines(0, 500);
        var length = new FileInfo(kit.LogPath).Length;
        var output = new List<string>();
        var agent = AgentProcess.Start(config, output);
        try
        {
            await AgentTestKit.WaitUntilAsync(
                () => agent.HasExited || AgentProcess.Status(kit.StateDir) is { RecordsShipped: 500 } s && s.Pid == agent.Id && s.Checkpoints.Values.SingleOrDefault() == length,
                "the agent to ship and checkpoint 500 lines", seconds: 20);
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");

            var (code, stdout, stderr) = await AgentProcess.RunAsync("status", "--state", kit.StateDir);

            Assert.True(code == 0, stderr);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.StartsWith($"agent           web-01 (tenant acme, pid {agent.Id},", lines[0], StringComparison.Ordinal);
            Assert.Contains("broker          connected", lines);
            Assert.Contains("lines read      500", lines);
            Assert.Contains("records shipped 500", lines);
            Assert.Contains("dropped         0 records in 0 batches", lines);
            Assert.Contains("errors          0", lines);
            Assert.Contains("spool           0 batches, 0 bytes", lines);
            var checkpoint = Assert.Single(lines, l => l.StartsWith("checkpoint", StringComparison.Ordinal));
            Assert.EndsWith($" @ {length.ToString(CultureInfo.InvariantCulture)}", checkpoint, StringComparison.Ordinal);
            Assert.Single(lines, l => l.StartsWith("process         cpu ", StringComparison.Ordinal) && l.Contains(" MiB", StringComparison.Ordinal) && l.Contains("GC heap ", StringComparison.Ordinal));

            (code, stdout, stderr) = await AgentProcess.RunAsync("status", "--state", kit.StateDir, "--json");
            Assert.True(code == 0, stderr);
            var status = JsonSerializer.Deserialize<AgentStatus>(stdout, AgentStatus.JsonOptions)!;
            Assert.Equal(agent.Id, status.Pid);
            Assert.Equal(500, status.LinesRead);
            Assert.Equal(500, status.RecordsShipped);
            Assert.True(status.RssBytes > 0 && status.PeakRssBytes >= status.RssBytes, $"rss {status.RssBytes}, peak {status.PeakRssBytes}");
            Assert.True(status.AllocatedBytes > 0);
            Assert.True(status.GcCommittedBytes > 0);
        }
        finally
        {
            AgentProcess.Kill(agent);
        }
    }

    [Fact]
    public async Task After_a_kill_9_with_everything_shipped_the_restarted_agent_reports_the_restored_checkpoint()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var config = AgentProcess.WriteConfig(kit);
        kit.AppendLines(0, 200);
        var length = new FileInfo(kit.LogPath).Length;
        var output = new List<string>();
        var first = AgentProcess.Start(config, output);
        try
        {
            await AgentTestKit.WaitUntilAsync(
                () => first.HasExited || AgentProcess.Status(kit.StateDir) is { RecordsShipped: 200 } s && s.Pid == first.Id && s.Checkpoints.Values.SingleOrDefault() == length,
                "the first agent to ship and checkpoint 200 lines", seconds: 20);
        }
        finally
        {
            AgentProcess.Kill(first);
        }

        var second = AgentProcess.Start(config, output);
        try
        {
            // Nothing new to read: the restarted agent commits nothing, yet its status must show the file caught up.
            await AgentTestKit.WaitUntilAsync(
                () => second.HasExited || AgentProcess.Status(kit.StateDir) is { } s && s.Pid == second.Id && s.Checkpoints.Count == 1,
                "the restarted agent to report its checkpoint", seconds: 20);
            Assert.False(second.HasExited, $"agent exited: {string.Join('\n', output)}");
            var status = AgentProcess.Status(kit.StateDir)!;
            Assert.Equal(0, status.LinesRead);
            Assert.Equal(length, status.Checkpoints.Values.Single());
        }
        finally
        {
            AgentProcess.Kill(second);
        }
    }

    [Fact]
    public async Task Status_without_a_status_file_fails_and_names_the_path()
    {
        var dir = Directory.CreateTempSubdirectory("siem-agent-nostatus-").FullName;
        try
        {
            var (code, _, stderr) = await AgentProcess.RunAsync("status", "--state", dir);

            Assert.Equal(1, code);
            Assert.Contains(Path.Combine(dir, AgentHost.StatusFile), stderr, StringComparison.Ordinal);
            Assert.Contains("has not run with this state dir", stderr, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task Drop_oldest_spool_counts_the_dropped_records_in_status_and_ships_the_newest_lines_in_order()
    {
        const int total = 3000;
        await using var kit = await AgentTestKit.StartAsync();
        // 20 records (~10 KiB sealed) per batch, 32 KiB segments, 128 KiB in all: most of 150 batches cannot be kept.
        var config = AgentProcess.WriteConfig(kit, maxRecords: 20, maxBatchBytes: 16_384, extraYaml: """
            spool:
              max_bytes: 131072
              segment_bytes: 32768
              full_policy: drop_oldest
            """);
        kit.Server.Kill();
        kit.AppendLines(0, total);
        var output = new List<string>();
        var agent = AgentProcess.Start(config, output);
        try
        {
            await AgentTestKit.WaitUntilAsync(
                () => agent.HasExited || AgentProcess.Status(kit.StateDir) is { LinesRead: total, RecordsDropped: > 0 } s && s.Pid == agent.Id,
                "the agent to read every line into the full spool", seconds: 20);
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            var (code, stdout, stderr) = await AgentProcess.RunAsync("status", "--state", kit.StateDir, "--json");
            Assert.True(code == 0, stderr);
            var full = JsonSerializer.Deserialize<AgentStatus>(stdout, AgentStatus.JsonOptions)!;
            Assert.False(full.Connected);
            Assert.Equal(0, full.RecordsShipped);
            Assert.True(full.SpoolBytes <= 131072, $"spool holds {full.SpoolBytes} bytes");
            Assert.Empty(full.Checkpoints); // nothing acknowledged yet

            (code, stdout, stderr) = await AgentProcess.RunAsync("status", "--state", kit.StateDir);
            Assert.True(code == 0, stderr);
            Assert.Contains("broker          DISCONNECTED", stdout, StringComparison.Ordinal);
            Assert.Contains($"dropped         {full.RecordsDropped} records in {full.BatchesDropped} batches", stdout, StringComparison.Ordinal);

            await kit.Server.RestartAsync();
            var length = new FileInfo(kit.LogPath).Length;
            await AgentTestKit.WaitUntilAsync(
                () => AgentProcess.Status(kit.StateDir) is { SpoolBatches: 0 } s && s.RecordsShipped + s.RecordsDropped == total && s.Checkpoints.Values.SingleOrDefault() == length,
                "the rest of the spool to drain after the broker returned", seconds: 20);
            var after = AgentProcess.Status(kit.StateDir)!;
            Assert.Equal(full.RecordsDropped, after.RecordsDropped); // no more drops once the broker takes batches

            // The oldest batches went: the stream holds exactly the newest lines, once each, in file order.
            var batches = await kit.ReadStreamAsync();
            var originals = batches.OrderBy(b => b.BatchSeq).SelectMany(b => b.Events).Select(e => e.Original).ToList();
            Assert.Equal(Enumerable.Range((int)after.RecordsDropped, total - (int)after.RecordsDropped).Select(AgentTestKit.Line), originals);
        }
        finally
        {
            AgentProcess.Kill(agent);
        }
    }
}
