using Siem.Engine.Tests.Telemetry;

namespace Siem.Collectors.Tests.Agent;

/// <summary>Self-metrics of a real <c>siem-agent run</c> process over OTLP/HTTP, against what <c>siem-agent status</c> shows.</summary>
public sealed class AgentTelemetryTests
{
    [Fact]
    public async Task A_running_agent_exports_its_counters_over_otlp_with_the_values_status_shows()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await using var kit = await AgentTestKit.StartAsync();
        using var receiver = new OtlpReceiver();
        var config = AgentProcess.WriteConfig(kit);
        kit.AppendLines(0, 300);
        var output = new List<string>();
        var agent = AgentProcess.Start(config, output, new Dictionary<string, string>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.BaseUrl,
            ["OTEL_METRIC_EXPORT_INTERVAL"] = "200",
        });
        try
        {
            await AgentTestKit.WaitUntilAsync(
                () => agent.HasExited || AgentProcess.Status(kit.StateDir) is { RecordsShipped: 300 } s && s.Pid == agent.Id,
                "the agent to ship 300 lines", seconds: 20);
            Assert.False(agent.HasExited, $"agent exited: {string.Join('\n', output)}");
            var status = AgentProcess.Status(kit.StateDir)!;

            // Exports are cumulative: read until one carries the final counts.
            OtlpMetricsDecoder.Decoded decoded;
            do
            {
                var (path, _, body) = await receiver.Requests.ReadAsync(timeout.Token);
                Assert.Equal("/v1/metrics", path);
                decoded = OtlpMetricsDecoder.Decode(body);
            }
            while (!decoded.Metrics.TryGetValue("siem.agent.records_shipped", out var shipped) || shipped.Single().Value < 300);

            Assert.Equal("siem-agent", decoded.Resource["service.name"]);
            long Value(string name) => Assert.Single(decoded.Metrics[name]).Value;
            Assert.Equal(status.LinesRead, Value("siem.agent.lines_read"));
            Assert.Equal(status.RecordsShipped, Value("siem.agent.records_shipped"));
            Assert.Equal(status.BatchesAcked, Value("siem.agent.batches_acked"));
            Assert.Equal(status.RecordsDropped, Value("siem.agent.records_dropped"));
            Assert.Equal(status.Errors, Value("siem.agent.errors"));
            Assert.Equal(status.BatchesSpooled, Value("siem.agent.batches_spooled"));
        }
        finally
        {
            AgentProcess.Kill(agent);
        }
    }
}
