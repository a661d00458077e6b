using Siem.Testing;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Faults;

/// <summary>A seeded chaos loop: the agent processes and the engine process (<c>siem serve</c>) die by kill -9 again and again while lines keep coming.</summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Seeded_kill_9_of_siem_agent_and_siem_serve_processes_throughout_a_run_indexes_every_line_exactly_once()
    {
        const int seed = 20261122, rounds = 12, linesPerRound = 150;
        var rng = new Random(seed);
        await using var server = await NatsServer.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(150), serve: true);
        string[] urls = [server.Url];
        var engine = kit.CreateServe(urls);
        var agents = new[] { kit.StartAgent("web-01", urls), kit.StartAgent("web-02", urls) };
        engine.Start(); // after the agents are in its registry

        for (int round = 0; round < rounds; round++)
        {
            foreach (var a in agents) a.AppendLines(linesPerRound);
            await Task.Delay(rng.Next(300, 1200), kit.Deadline);
            int victim = rng.Next(3);
            if (victim < 2)
            {
                var agent = agents[victim];
                agent.Kill();
                output.WriteLine($"round {round}: kill -9 agent {agent.AgentId} after {agent.LinesWritten} lines written");
                await Task.Delay(rng.Next(50, 400), kit.Deadline);
                agent.Start();
            }
            else
            {
                engine.Kill();
                output.WriteLine($"round {round}: kill -9 siem serve");
                await Task.Delay(rng.Next(50, 400), kit.Deadline);
                engine.Start();
            }
        }
        await kit.WaitAllIndexedAsync();
        kit.AssertExactlyOnce();
        Assert.Equal(2 * rounds * linesPerRound, kit.LinesWritten);
    }
}
