using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Siem.Api;
using Siem.Api.Auth;
using Siem.Api.Live;
using Siem.Api.Metrics;
using Siem.Api.Purges;
using Siem.Api.Rules;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Pipeline;
using Siem.Engine.Telemetry;
using Siem.Host.Purge;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;
using Siem.Nats;
using Siem.Nats.JetStream;
using Siem.Telemetry;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Host.Demo;

/// <summary>
/// The web console and HTTP API of the demo (<c>--http ADDR:PORT</c>; default 127.0.0.1:8080 unless <c>--once</c>;
/// <c>--http off</c> = none): served from this process over the demo's index, agent registry, lineage ledger and purge
/// coordinator, with live alerts from the pipeline. Prints the URL and a one-time admin token (valid 12 h, stored hashed).
/// </summary>
internal sealed partial class DemoRunner
{
    public const string DefaultHttp = "127.0.0.1:8080";
    private RuleStore? _ruleStore;

    /// <summary>Where the console listens, or null when it is off.</summary>
    private string? HttpEndpoint => _o.Http is { } h ? (h is "off" or "none" ? null : h) : _o.Once ? null : DefaultHttp;

    /// <summary>With the console on, the engine runs the rules the console edits (packs + uploads, minus disabled).</summary>
    private IDetector EngineDetector(SigmaDetector loaded, string? root)
    {
        if (HttpEndpoint == null) return loaded;
        _ruleStore = new RuleStore(Path.Combine(Path.GetFullPath(_o.DataDir), "rules"), [.. DemoPaths.PackFiles(root), .. _o.RuleDirs]);
        var pipelinePath = DemoPaths.DefaultPipeline(root);
        var mapping = pipelinePath != null ? FieldMappingPipeline.Load(pipelinePath) : null;
        var correlation = CorrelationOptions.Default with { AllowedLateness = NodaTime.Duration.FromHours(2) };
        return new LiveRuleDetector(_ruleStore, set => new SigmaDetector(set, mapping, correlation), m => Err($"demo: {m}"));
    }

    private async Task<IAsyncDisposable?> StartConsoleAsync(string dataDir, string natsUrl, IIndexSink index, AgentRegistry registry,
        EventPipeline pipeline, NatsConnection connection, LineageLedger ledger, SubjectPseudonymizer subjects, CancellationToken cancellationToken)
    {
        if (HttpEndpoint is not { } endpoint) return null;
        if (!TryParseEndpoint(endpoint, out var address, out int port))
        {
            Err($"siem demo: --http '{endpoint}' is not ADDRESS:PORT (e.g. 127.0.0.1:8080); the console is not started");
            return null;
        }
        var feed = new AlertFeed();
        pipeline.AlertIndexed += feed.Publish;
        var purge = await PurgeRuntime.OpenAsync(dataDir, natsUrl, _o.ElasticsearchUrl is { } es ? new Uri(es) : null, approvalsRequired: 1, _err, cancellationToken).ConfigureAwait(false);
        var runner = new PurgeRunner(purge.Coordinator, m => Err($"demo: {m}"));
        var options = new ApiOptions
        {
            DataDir = dataDir,
            RulesDir = _ruleStore?.CustomDir,
            PipelinePath = DemoPaths.DefaultPipeline(DemoPaths.RepoRoot()),
        };
        // The status page shows the instruments `siem serve` exports over OTLP: this process's, read in place.
        var lag = new ConsumerLagProbe(new NatsJSContext(connection), EngineStreams.Events, EngineOptions.Default.Durable, log: m => Err($"demo: {m}"));
        lag.Start();
        var engineMetrics = new EngineMetrics(pipeline.Stats, _delivery, lag);
        var meters = new MeterSnapshot(SiemMeters.Server);
        var backends = new ApiBackends
        {
            Index = index,
            Agents = registry,
            Alerts = feed,
            Rules = _ruleStore,
            Lineage = ledger,
            Subjects = subjects,
            Purges = runner,
            BrokerConnected = () => connection.ConnectionState == NatsConnectionState.Open,
            AlertClosed = new Siem.Engine.Channels.AlertResolutionPublisher(connection).PublishResolveAsync,
            Processes = ProcessMetricsBoard.Local(() => new ProcessMetrics("demo", Environment.MachineName, Environment.ProcessId, ["demo"], DateTimeOffset.UtcNow, meters.Read())),
            Metrics = () => new Dictionary<string, long>
            {
                ["engine.messages_received"] = pipeline.Stats.MessagesReceived,
                ["engine.events_indexed"] = pipeline.Stats.EventsIndexed,
                ["engine.alerts_raised"] = pipeline.Stats.AlertsRaised,
                ["engine.alerts_updated"] = pipeline.Stats.AlertsUpdated,
                ["engine.quarantined"] = pipeline.Stats.Quarantined,
                ["engine.redeliveries"] = pipeline.Stats.Redeliveries,
                ["engine.index_errors"] = pipeline.Stats.IndexErrors,
                ["engine.lineage_errors"] = pipeline.LineageErrors,
            },
        };
        Action<Microsoft.AspNetCore.Builder.WebApplicationBuilder> listen = b => b.WebHost.UseKestrel(k => k.Listen(address, port));
        if (_o.Https is { } https)
        {
            try
            {
                listen = Siem.Api.Https.ApiListener.Configure(endpoint, https);
            }
            catch (ArgumentException ex)
            {
                Err($"siem demo: {ex.Message}; the console is not started");
                await runner.DisposeAsync().ConfigureAwait(false);
                await purge.DisposeAsync().ConfigureAwait(false);
                return null;
            }
        }
        var app = SiemApi.Build(options, backends, listen);
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (IOException ex)
        {
            Err($"siem demo: the console cannot listen on {endpoint}: {ex.Message} (pass --http 127.0.0.1:PORT or --http off)");
            await app.DisposeAsync().ConfigureAwait(false);
            await runner.DisposeAsync().ConfigureAwait(false);
            await purge.DisposeAsync().ConfigureAwait(false);
            return null;
        }
        var tokens = (ApiTokenStore)app.Services.GetService(typeof(ApiTokenStore))!;
        var (_, secret) = tokens.Create("demo admin " + DateTimeOffset.UtcNow.ToString("yyyy-MM-dd HH:mm", System.Globalization.CultureInfo.InvariantCulture), ApiRoles.Admin, TimeSpan.FromHours(12), "siem demo");
        string host = address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        Err($"demo: console at {(_o.Https is null ? "http" : "https")}://{host}:{port}/  (API: /api, OpenAPI: {SiemApi.OpenApiPath})");
        // The secret exists only here and as a hash in <data>/api/tokens.json: shown once, valid 12 hours.
        Err($"demo: one-time admin token (valid 12 h, not shown again): {secret}");
        return new ConsoleHost(app, runner, purge, feed, pipeline, new DemoMeters(lag, engineMetrics, meters));
    }

    private static bool TryParseEndpoint(string text, out IPAddress address, out int port)
    {
        address = IPAddress.Loopback;
        port = 0;
        int colon = text.LastIndexOf(':');
        return colon > 0
            && IPAddress.TryParse(text[..colon].Trim('[', ']'), out address!)
            && int.TryParse(text[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out port)
            && port is > 0 and < 65536;
    }

    private sealed record DemoMeters(ConsumerLagProbe Lag, EngineMetrics Engine, MeterSnapshot Snapshot) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Snapshot.Dispose();
            Engine.Dispose();
            await Lag.DisposeAsync().ConfigureAwait(false);
        }
    }

    private sealed class ConsoleHost(WebApplication app, PurgeRunner runner, PurgeRuntime purge, AlertFeed feed, EventPipeline pipeline, DemoMeters meters) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await meters.DisposeAsync().ConfigureAwait(false);
            pipeline.AlertIndexed -= feed.Publish;
            await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
            await app.DisposeAsync().ConfigureAwait(false);
            await runner.DisposeAsync().ConfigureAwait(false);
            await purge.DisposeAsync().ConfigureAwait(false);
        }
    }
}
