namespace Siem.Collectors.Tests.Agent;

/// <summary>The real <c>siem-agent</c> executable as a child process, killed with SIGKILL mid-stream.</summary>
public sealed class AgentCrashTests
{
    [Fact]
    public async Task After_kill_9_mid_stream_and_a_restart_every_line_is_in_the_stream_exactly_once()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var config = AgentProcess.WriteConfig(kit);
        const int total = 8_000;
        var output = new List<string>();
        var written = 0;
        var agent = AgentProcess.Start(config, output);
        try
        {
            await AgentTestKit.WaitUntilAsync(() => AgentProcess.Status(kit.StateDir) != null || agent.HasExited, "the agent to start");
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            // Lines keep arriving while the agent runs, so the kill lands mid-stream.
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while (AgentProcess.Status(kit.StateDir) is not { RecordsShipped: >= 2000 })
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
            agent = AgentProcess.Start(config, output);
            var fileLength = new FileInfo(kit.LogPath).Length;
            await AgentTestKit.WaitUntilAsync(
                () => AgentProcess.Status(kit.StateDir) is { Pid: var pid, SpoolBatches: 0 } s && pid == agent.Id && s.Checkpoints.Values.SingleOrDefault() == fileLength,
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
