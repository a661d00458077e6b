using System.Diagnostics;
using System.Text.Json;
using Siem.Collectors.Agent;

namespace Siem.Collectors.Tests.Agent;

/// <summary>The real <c>siem-agent</c> executable as a child process, killed with SIGKILL mid-stream.</summary>
public sealed class AgentCrashTests
{
    private static string AgentDll()
    {
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "siem-agent.dll"),
            Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Siem.Agent", "release", "siem-agent.dll")),
            Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "..", "Siem.Agent", "debug", "siem-agent.dll")),
        };
        return candidates.FirstOrDefault(File.Exists) ?? throw new FileNotFoundException($"siem-agent.dll not found (looked in {string.Join(", ", candidates)}); build collectors/Siem.Agent");
    }

    private static Process StartAgent(string config, List<string> output)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(AgentDll());
        psi.ArgumentList.Add("run");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(config);
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (output) output.Add(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static AgentStatus? Status(string stateDir)
    {
        try
        {
            return AgentStatus.Load(stateDir);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException)
        {
            return null;
        }
    }

    [Fact]
    public async Task After_kill_9_mid_stream_and_a_restart_every_line_is_in_the_stream_exactly_once()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var config = Path.Combine(kit.Dir, "agent.yml");
        File.WriteAllText(config, $"""
            agent:
              state_dir: {kit.StateDir}
            servers:
              urls: [{kit.Server.Url}]
            sources:
              - type: file
                name: auth
                paths: [{kit.LogPath}]
            batch:
              max_records: 100
              linger_ms: 20
            status_interval_ms: 50
            """);
        const int total = 8_000;
        var output = new List<string>();
        var written = 0;
        var agent = StartAgent(config, output);
        try
        {
            await AgentTestKit.WaitUntilAsync(() => Status(kit.StateDir) != null || agent.HasExited, "the agent to start");
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            // Lines keep arriving while the agent runs, so the kill lands mid-stream.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (Status(kit.StateDir) is not { RecordsShipped: >= 2000 })
            {
                Assert.False(agent.HasExited, $"agent exited early: {string.Join('\n', output)}");
                Assert.True(DateTime.UtcNow < deadline, $"agent did not ship 2000 records: {string.Join('\n', output)}");
                if (written < total / 2)
                {
                    kit.AppendLines(written, 100);
                    written += 100;
                }
                await Task.Delay(10);
            }
            agent.Kill(); // SIGKILL: no flush, no graceful anything
            agent.WaitForExit(10_000);

            kit.AppendLines(written, total - written);
            agent = StartAgent(config, output);
            var fileLength = new FileInfo(kit.LogPath).Length;
            await AgentTestKit.WaitUntilAsync(
                () => Status(kit.StateDir) is { Pid: var pid, SpoolBatches: 0 } s && pid == agent.Id && s.Checkpoints.Values.SingleOrDefault() == fileLength,
                "the restarted agent to ship and checkpoint the whole file", seconds: 20);
        }
        finally
        {
            if (!agent.HasExited)
            {
                agent.Kill();
                agent.WaitForExit(10_000);
            }
        }
        await kit.AssertExactlyOnceInOrderAsync(total);
    }
}
