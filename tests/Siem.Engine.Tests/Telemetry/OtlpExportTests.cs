using OpenTelemetry.Metrics;
using Siem.Collectors.Agent;
using Siem.Engine.Channels;
using Siem.Engine.Pipeline;
using Siem.Engine.Telemetry;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Telemetry;
using Siem.Testing;

namespace Siem.Engine.Tests.Telemetry;

public sealed class OtlpExportTests
{
    private static CancellationToken Timeout() => new CancellationTokenSource(TimeSpan.FromSeconds(20)).Token;

    private static Func<string, string?> Env(params (string Name, string Value)[] vars) =>
        name => vars.FirstOrDefault(v => v.Name == name).Value;

    [Fact]
    public async Task Engine_and_agent_meters_arrive_at_an_OTLP_HTTP_receiver_with_the_counters_values_and_the_consumer_lag()
    {
        var ct = Timeout();
        await using var nats = await NatsServer.StartAsync();
        await using var connection = new NatsConnection(NatsOpts.Default with { Servers = [nats.Url] });
        await connection.ConnectAsync(ct);
        var js = new NatsJSContext(connection);
        await js.CreateStreamAsync(new StreamConfig("LAG", "lag.>"), ct);
        for (int i = 0; i < 5; i++) await js.PublishAsync("lag.e", "x"u8.ToArray(), cancellationToken: ct);
        await js.CreateOrUpdateConsumerAsync("LAG", new ConsumerConfig("engine") { AckPolicy = AckPolicy.Explicit }, ct);
        await using var lag = new ConsumerLagProbe(js, "LAG", "engine");
        Assert.True(await lag.ReadOnceAsync(ct));

        var stats = new EngineStats();
        for (int i = 0; i < 3; i++) stats.Received();
        stats.Acked(3);
        stats.Indexed(42);
        stats.QuarantinedOne("bad signature");
        stats.QuarantinedOne("bad signature");
        stats.QuarantinedOne("unknown agent");
        stats.AlertRaised();
        await using var delivery = new DurableAlertDelivery(connection, new AlertDispatcher([]));
        using var engineMetrics = new EngineMetrics(stats, delivery, lag);
        using var agentMetrics = new AgentMetrics();
        using var receiver = new OtlpReceiver();

        var options = TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_ENDPOINT", receiver.BaseUrl)));
        using (var provider = SiemTelemetry.StartMetrics("siem-engine", [SiemMeters.Engine, SiemMeters.Agent], options, instanceId: "engine-7"))
        {
            Assert.NotNull(provider);
            Assert.True(provider.ForceFlush(10_000));
        }

        var (path, contentType, body) = await receiver.Requests.ReadAsync(ct);
        Assert.Equal("/v1/metrics", path);
        Assert.Equal("application/x-protobuf", contentType);
        var decoded = OtlpMetricsDecoder.Decode(body);
        Assert.Equal("siem-engine", decoded.Resource["service.name"]);
        Assert.Equal("engine-7", decoded.Resource["service.instance.id"]);
        long Value(string name) => Assert.Single(decoded.Metrics[name]).Value;
        Assert.Equal(3, Value("siem.engine.messages_received"));
        Assert.Equal(3, Value("siem.engine.messages_acked"));
        Assert.Equal(42, Value("siem.engine.events_indexed"));
        Assert.Equal(1, Value("siem.engine.alerts_raised"));
        Assert.Equal(5, Value("siem.engine.consumer_lag"));
        Assert.Equal(0, Value("siem.engine.consumer_ack_pending"));
        Assert.Equal(
            new Dictionary<string, long> { ["bad signature"] = 2, ["unknown agent"] = 1 },
            decoded.Metrics["siem.engine.quarantined"].ToDictionary(p => p.Attributes["reason"], p => p.Value));
        Assert.Equal(
            new[] { "dead_lettered", "delivered", "retried", "update_paced" },
            decoded.Metrics["siem.engine.alert_deliveries"].Select(p => p.Attributes["outcome"]).Order(StringComparer.Ordinal));
        foreach (var name in new[] { "siem.agent.lines_read", "siem.agent.records_shipped", "siem.agent.batches_spooled", "siem.agent.records_dropped", "siem.agent.errors" })
            Assert.Equal(0, Value(name));
    }

    [Fact]
    public void The_engine_meter_name_is_the_one_the_host_exports()
    {
        Assert.Equal(SiemMeters.Engine, EngineMetrics.MeterName);
        Assert.Equal(SiemMeters.Agent, AgentMetrics.MeterName);
        Assert.Contains(SiemMeters.Engine, SiemMeters.Server);
    }

    [Fact]
    public void Without_an_OTLP_endpoint_nothing_is_exported()
    {
        var options = TelemetryOptions.FromEnvironment(Env());
        Assert.Null(options.MetricsEndpoint);
        Assert.Null(SiemTelemetry.StartMetrics("siem", SiemMeters.Server, options));
    }

    [Fact]
    public void Environment_variables_follow_the_OpenTelemetry_specification()
    {
        var http = TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"), ("OTEL_METRIC_EXPORT_INTERVAL", "15000"), ("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cret")));
        Assert.Equal(new Uri("http://collector:4318/v1/metrics"), http.MetricsEndpoint);
        Assert.Equal(TimeSpan.FromSeconds(15), http.ExportInterval);
        Assert.DoesNotContain("s3cret", http.ToString(), StringComparison.Ordinal);

        var specific = TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"), ("OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://metrics.example/otlp/m")));
        Assert.Equal(new Uri("https://metrics.example/otlp/m"), specific.MetricsEndpoint);

        var grpc = TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4317"), ("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")));
        Assert.Equal((OtlpTransport.Grpc, new Uri("http://collector:4317")), (grpc.Transport, grpc.MetricsEndpoint));

        var badProtocol = Assert.Throws<ArgumentException>(() => TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"))));
        Assert.Contains("OTEL_EXPORTER_OTLP_PROTOCOL", badProtocol.Message, StringComparison.Ordinal);
        var badUrl = Assert.Throws<ArgumentException>(() => TelemetryOptions.FromEnvironment(Env(("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"))));
        Assert.Contains("OTEL_EXPORTER_OTLP_ENDPOINT='collector:4318'", badUrl.Message, StringComparison.Ordinal);
        var badInterval = Assert.Throws<ArgumentException>(() => TelemetryOptions.FromEnvironment(Env(("OTEL_METRIC_EXPORT_INTERVAL", "5s"))));
        Assert.Contains("OTEL_METRIC_EXPORT_INTERVAL", badInterval.Message, StringComparison.Ordinal);
    }
}
