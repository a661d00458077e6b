using System.Text;
using System.Text.Json;
using Siem.Collectors.Agent;
using Siem.Core.Events;
using static Siem.Collectors.Tests.Parsing.ParserTestKit;

namespace Siem.Collectors.Tests.Agent;

/// <summary>Lines near the 1 MiB line cap against nats-server's default 1 MiB max_payload.</summary>
public sealed class AgentHugeLineTests
{
    [Fact]
    public async Task Lines_over_the_line_cap_and_huge_json_are_shipped_cut_and_tagged_and_their_neighbours_are_not_lost()
    {
        await using var kit = await AgentTestKit.StartAsync();
        var sysmon = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["EventID"] = 1,
            ["Channel"] = "Microsoft-Windows-Sysmon/Operational",
            ["Image"] = @"C:\Windows\System32\cmd.exe",
            ["CommandLine"] = "cmd.exe /c " + new string('x', 900_000),
        });
        var lines = new[]
        {
            AgentTestKit.Line(0),
            "Nov 22 04:00:01 web-01 app[7]: " + new string('A', 3_000_000),
            AgentTestKit.Line(1),
            sysmon,
            AgentTestKit.Line(2),
        };
        File.WriteAllText(kit.LogPath, string.Join('\n', lines) + "\n", new UTF8Encoding(false));

        await using (var host = AgentHost.Start(kit.Options(), [kit.FileSource()]))
        {
            await AgentTestKit.WaitUntilAsync(() => host.Metrics.Checkpoints.Values.SingleOrDefault() == new FileInfo(kit.LogPath).Length, "checkpoint at the end of the file", seconds: 25);
            Assert.Equal(5, host.Metrics.RecordsShipped);
            Assert.Equal(0, host.Metrics.RecordsDropped);
            await host.StopAsync(TimeSpan.FromSeconds(5));
        }
        Assert.DoesNotContain(kit.Log, l => l.Contains("dropped", StringComparison.Ordinal));

        var events = (await kit.ReadStreamAsync()).OrderBy(b => b.BatchSeq).SelectMany(b => b.Events).ToList();
        Assert.Equal(5, events.Count);
        Assert.Equal([AgentTestKit.Line(0), AgentTestKit.Line(1), AgentTestKit.Line(2)], new[] { events[0], events[2], events[4] }.Select(e => e.Original));
        var big = events[1];
        Assert.StartsWith("Nov 22 04:00:01 web-01 app[7]: AAAA", big.Original, StringComparison.Ordinal);
        Assert.Contains(EcsFields.TruncatedTag, Tags(big));
        var process = events[3];
        Assert.Equal("1", process.Get("EventID"));
        Assert.Equal(@"C:\Windows\System32\cmd.exe", process.Get("Image"));
        Assert.StartsWith("cmd.exe /c xxxx", process.Get("CommandLine"), StringComparison.Ordinal);
        Assert.Contains(EcsFields.TruncatedTag, Tags(process));
        // Each cut event still fits a batch of its own (BatchOptions.MaxBytes, 512 KiB).
        Assert.All([big, process], e => Assert.True(e.Original.Length >= 64 * 1024 && e.Original.Length <= 512 * 1024, $"kept {e.Original.Length} chars"));
    }
}
