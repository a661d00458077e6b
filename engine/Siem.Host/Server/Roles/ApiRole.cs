using System.Text.Json;
using Siem.Api;
using Siem.Api.Auth;
using Siem.Api.Https;
using Siem.Api.Live;
using Siem.Api.Metrics;
using Siem.Api.Purges;
using Siem.Api.Rules;
using Siem.Core.Security;
using Siem.Engine.Alerts;
using Siem.Engine.Control;
using Siem.Engine.Index;
using Siem.Host.Purge;
using Siem.Host.Demo;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;
using Siem.Nats;

namespace Siem.Host.Server.Roles;

/// <summary>
/// The <c>api</c> role: the HTTP API and web console (section <c>api:</c> — listen, tls, jwt, requests_per_minute,
/// max_body_bytes) over the data dir's index, agent registry, lineage ledger and rules, with live alerts from
/// <c>siem.alerts.&gt;</c>. Tokens are made with <c>siem api-token create</c>. Purges run here, in the background, against
/// the data dir's index, ledger and keys and the stream through this process's NATS connection; a request needs the
/// approvals <c>&lt;data&gt;/purge/policy.json</c> names (as for <c>siem purge</c>), or one (someone other than the
/// requester) when there is no policy file. Jobs a stop cut short resume at start; a job runs in one API process at a
/// time cluster-wide, and another takes it over when its holder dies (<see cref="NatsPurgeClaims"/>). Rule changes and
/// agent revocations are
/// announced on the <c>SIEM_CONTROL</c> bucket, which engine roles in other processes watch and apply at once (rule
/// changes made while NATS is down are announced when it is back).
/// </summary>
internal sealed class ApiRole : IServerRole
{
    private ApiSettings? _settings;

    public string Name => "api";

    private sealed record ApiSettings(string Listen, ApiHttpsOptions? Https, JwtValidationOptions? Jwt, int RequestsPerMinute, long MaxBodyBytes);

    public void Configure(ServerContext context)
    {
        var s = context.Section("api");
        s?.OnlyKeys("listen", "tls", "jwt", "requests_per_minute", "max_body_bytes");
        string listen = s?.String("listen") ?? "127.0.0.1:8080";
        try
        {
            ApiListener.Url(listen, null);
        }
        catch (ArgumentException ex)
        {
            throw s!.Error("listen", "ADDRESS:PORT (e.g. 127.0.0.1:8080)", ex.Message);
        }
        ApiHttpsOptions? https = null;
        if (s?.Section("tls") is { } tls)
        {
            tls.OnlyKeys("cert_file", "key_file", "client_ca_file");
            https = new ApiHttpsOptions { CertFile = tls.Path("cert_file") ?? throw tls.Missing("cert_file"), KeyFile = tls.Path("key_file") ?? throw tls.Missing("key_file"), ClientCaFile = tls.Path("client_ca_file") };
        }
        JwtValidationOptions? jwt = null;
        if (s?.Section("jwt") is { } j)
        {
            j.OnlyKeys("authority", "issuer", "audience", "jwks_file", "role_claim");
            string? authority = j.String("authority");
            if (authority != null && j.String("jwks_file") != null) throw j.Error("jwks_file", "either authority (OIDC discovery) or jwks_file, not both", "both");
            const string HttpsAuthority = "the OIDC provider's https URL, e.g. https://idp.example.org/realms/soc (plain http only on a loopback address)";
            jwt = new JwtValidationOptions
            {
                Authority = authority == null ? null : Uri.TryCreate(authority, UriKind.Absolute, out var uri) ? uri : throw j.Error("authority", HttpsAuthority, $"'{authority}'"),
                Issuer = authority == null ? j.RequiredString("issuer") : j.String("issuer"),
                Audience = j.RequiredString("audience"),
                JwksPath = authority == null ? j.Path("jwks_file") ?? throw j.Missing("jwks_file") : null,
                RoleClaim = j.String("role_claim") ?? "roles",
            };
            if (jwt.Problem() != null) throw j.Error("authority", HttpsAuthority, $"'{authority}'");
        }
        _settings = new ApiSettings(listen, https, jwt,
            (int)(s?.PositiveInt("requests_per_minute", 600, 1_000_000) ?? 600),
            s?.PositiveInt("max_body_bytes", 1024 * 1024, 64L * 1024 * 1024) ?? 1024 * 1024);
    }

    public async Task RunAsync(ServerContext context, CancellationToken cancellationToken)
    {
        var settings = _settings ?? throw new InvalidOperationException("the api role was not configured");
        var config = context.Config;
        void Info(string m) => context.Info("api", m);
        await using var index = EngineRole.OpenIndex(config, context.Log);
        var registry = new AgentRegistry(Path.Combine(config.DataDir, "engine", "agents.json"));
        // Revocations made here reach every host through the SIEM_AGENTS bucket; agents enrolled elsewhere are listed here.
        await using var agentSync = Siem.Engine.Agents.AgentRegistrySync.Start(context.JetStream, registry, config.NatsReplicas, Info);
        await using var ledger = LineageLedger.Open(config.DataDir);
        var root = DemoPaths.RepoRoot();
        var packs = config.IncludePack && root != null ? DemoPaths.PackFiles(root) : [];
        var rules = new RuleStore(Path.Combine(config.DataDir, "rules"), [.. packs, .. config.RuleDirs]);
        // Engines in other processes reload rules and apply revocations when told through the control bucket.
        var live = new LiveChangePublisher(context.JetStream, config.NatsReplicas);
        using var announcer = new RuleChangeAnnouncer(ct => live.RulesChangedAsync("rules changed", "api", ct), context.Nats, Info);
        rules.Changed += () => _ = announcer.ChangedAsync();
        var feed = new AlertFeed();
        await using var alerts = await context.Nats.SubscribeAsync("siem.alerts.>", cancellationToken: cancellationToken).ConfigureAwait(false);
        var relay = Task.Run(() => RelayAsync(alerts, feed, Info, cancellationToken), CancellationToken.None);
        await using var purges = OpenPurges(context, index);
        await using var processes = await ProcessMetricsBoard.StartAsync(context.Nats, cancellationToken: cancellationToken).ConfigureAwait(false);

        var app = SiemApi.Build(new ApiOptions
        {
            DataDir = config.DataDir,
            RulePacks = [.. packs, .. config.RuleDirs],
            PipelinePath = config.PipelinePath ?? (config.IncludePack ? DemoPaths.DefaultPipeline(root) : null),
            Jwt = settings.Jwt,
            RequestsPerMinute = settings.RequestsPerMinute,
            MaxRequestBodyBytes = settings.MaxBodyBytes,
        }, new ApiBackends
        {
            Index = index,
            Agents = registry,
            Alerts = feed,
            Rules = rules,
            Lineage = ledger,
            Subjects = SubjectPseudonymizer.Open(config.DataDir),
            BrokerConnected = () => context.Nats.ConnectionState == NatsConnectionState.Open,
            Purges = purges?.Runner,
            AlertClosed = new Siem.Engine.Channels.AlertResolutionPublisher(context.Nats).PublishResolveAsync,
            LiveChanges = live,
            Processes = processes,
        }, ApiListener.Configure(settings.Listen, settings.Https));
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        if (purges?.Runner.ResumeInterrupted("siem serve (resumed at start)") is { Count: > 0 } resumed)
            Info($"resuming interrupted purges: {string.Join(", ", resumed)}");
        Info($"console and API at {ApiListener.Url(settings.Listen, settings.Https)} (JWT {(settings.Jwt is { } jwt ? "accepted from " + (jwt.Authority?.AbsoluteUri ?? jwt.Issuer) : "off")})");
        if (((ApiTokenStore)app.Services.GetService(typeof(ApiTokenStore))!).All.Count == 0 && settings.Jwt == null)
            Info($"no API token exists yet: create one with `siem api-token create --data {config.DataDir} --name NAME --role admin`");
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        await app.StopAsync(CancellationToken.None).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
        await relay.ConfigureAwait(false);
        Info("stopped");
    }

    /// <summary>Purges over the index this role opened and its NATS connection; null (endpoints answer 501) for an index that cannot purge.</summary>
    private static PurgeService? OpenPurges(ServerContext context, IIndexSink index)
    {
        // The policy file `siem purge` reads, when there is one; without it the API keeps the two-person rule.
        int approvals = File.Exists(Path.Combine(context.DataDir, "purge", "policy.json")) ? Commands.PurgeCommand.ApprovalsRequired(context.DataDir) : 1;
        if (index is not IIndexPurge purgeable)
        {
            context.Info("api", $"purges are off: the {context.Config.IndexKind} index cannot purge (SQLite and Elasticsearch can)");
            return null;
        }
        var runtime = PurgeRuntime.ForServer(context.DataDir, purgeable, context.JetStream, approvals, context.Log);
        // One run per job across every API process on this NATS (a lease in SIEM_PURGE_CLAIMS), not only on this host.
        var claims = new NatsPurgeClaims(context.JetStream, $"{Environment.MachineName}/{Environment.ProcessId}", replicas: context.Config.NatsReplicas);
        return new PurgeService(runtime, new PurgeRunner(runtime.Coordinator, m => context.Info("api", m), claims));
    }

    /// <summary>The runner stops (its runs cancelled, each resumable) before the stores it purges close.</summary>
    private sealed record PurgeService(PurgeRuntime Runtime, PurgeRunner Runner) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Runner.DisposeAsync().ConfigureAwait(false);
            await Runtime.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Alerts the engines publish (new ones and folded repeats) go to the browsers watching the live list.</summary>
    private static async Task RelayAsync(NatsSubscription alerts, AlertFeed feed, Action<string> info, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var m in alerts.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                if (m.Headers?[Siem.Engine.Channels.AlertNoticeHeaders.Action] != null) continue; // a resolve notice for the channels, not an alert state
                try
                {
                    var alert = AlertJson.Deserialize(m.Data.Span);
                    feed.Publish(alert, isNew: alert.Count == 1);
                }
                catch (Exception ex) when (ex is JsonException or FormatException or InvalidOperationException or KeyNotFoundException)
                {
                    info($"an alert on {m.Subject} could not be read and is not shown live ({ex.Message})");
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
    }
}
