using System.Text.Json;
using Siem.Host.Bench.Soak;

namespace Siem.Resilience.Tests.Soak;

/// <summary>The soak bench end to end at a small rate (its figures are not asserted — only that it audits and reports).</summary>
public sealed class SoakRunTests
{
    [Fact]
    public async Task A_short_soak_offers_lines_through_agent_processes_audits_the_index_and_writes_its_report()
    {
        string dir = Directory.CreateTempSubdirectory("siem-soak-test-").FullName;
        try
        {
            var options = new SoakOptions { Duration = TimeSpan.FromSeconds(12), Rate = 400, Agents = 2, Interval = TimeSpan.FromSeconds(2), ReportDir = dir };
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var log = new StringWriter();
            var result = await new SoakRun(options, log).RunAsync(timeout.Token);
            result.WriteReport(dir);

            Assert.True(result.Drained, log.ToString());
            Assert.InRange(result.Offered, 4000, 4800);
            Assert.Equal(result.Offered, result.Indexed);
            Assert.Equal(0, result.Lost);
            Assert.Equal(0, result.Duplicates);
            Assert.True(result.Samples.Count >= 5, $"{result.Samples.Count} samples");
            Assert.Equal(["engine", "nats-server", "soak-01", "soak-02"], result.Samples[0].RssBytes.Keys.Order(StringComparer.Ordinal));
            Assert.All(result.Samples[0].RssBytes.Values, rss => Assert.True(rss > 0));

            using var summary = JsonDocument.Parse(result.SummaryJson());
            Assert.Equal(["offered", "indexed", "lost", "duplicates", "p99_latency_ms", "rss_growth_pct"], summary.RootElement.EnumerateObject().Select(p => p.Name));
            Assert.Equal(new byte[] { 0x89, 0x50, 0x4E, 0x47 }, File.ReadAllBytes(Path.Combine(dir, "soak.png"))[..4]);
            Assert.Equal(result.Samples.Count + 1, File.ReadAllLines(Path.Combine(dir, "samples.csv")).Length);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
