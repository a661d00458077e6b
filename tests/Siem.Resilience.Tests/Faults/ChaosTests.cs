using Siem.Testing;
using Xunit.Abstractions;

namespace Siem.Resilience.Tests.Faults;

/// <summary>A seeded chaos loop: agent processes and engine replicas die abruptly again and again while lines keep coming.</summary>
public sealed class ChaosTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Seeded_kill_9_of_agents_and_engines_throughout_a_run_indexes_every_line_exactly_once()
    {
        const int seed = 20261122, rounds = 12, linesPerRound = 150;
        var rng = new Random(seed);
        await using var server = await NatsServer.StartAsync();
        await using var kit = new ResilienceKit(TimeSpan.FromSeconds(120));
        string[] urls = [server.Url];
        await ResilienceKit.CreateStreamsAsync(urls, replicas: 1, kit.Deadline);
        var agents = new[] { kit.StartAgent("web-01", urls), kit.StartAgent("web-02", urls) };
        var engines = new[] { await kit.StartEngineAsync("engine-a", urls), await kit.StartEngineAsync("engine-b", urls) };

        for (int round = 0; round < rounds; round++)
        {
            foreach (var a in agents) a.AppendLines(linesPerRound);
            await Task.Delay(rng.Next(200, 900), kit.Deadline);
            int victim = rng.Next(4);
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
                var engine = engines[victim - 2];
                await engine.CrashAsync();
                output.WriteLine($"round {round}: crash engine {engine.Name} (acked {engine.Pipeline.Stats.MessagesAcked} messages)");
                await Task.Delay(rng.Next(50, 400), kit.Deadline);
                engines[victim - 2] = await kit.StartEngineAsync(engine.Name, urls);
            }
        }
        await kit.WaitAllIndexedAsync();
        kit.AssertExactlyOnce();
        Assert.Equal(2 * rounds * linesPerRound, kit.LinesWritten);
    }
}
