using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using NodaTime;
using Siem.Api.Auth;
using Siem.Api.Live;
using Siem.Api.Rules;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Siem.Core.Security;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Replay;
using Siem.Api.Purges;
using Siem.Engine.Alerts;
using Siem.Engine.Purge;
using Siem.Lineage.Audit;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;

namespace Siem.Api.Tests;

/// <summary>
/// The API on a TestServer over a real SQLite index holding the sample auth.log and audit.log (parsed by the agent's
/// parsers, as agent "web01-agent") and the alerts our rule pack raises over them, an agent registry with that agent,
/// and one token per role (plus an expiring one). Time is <see cref="Time"/>: 2026-11-22T12:00Z, after the samples.
/// </summary>
internal sealed class ApiTestHost : IAsyncDisposable
{
    public const string AgentId = "web01-agent";
    public static readonly DateTimeOffset Start = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private readonly List<HttpClient> _clients = [];

    private ApiTestHost(string dir, SqliteIndexSink index, AgentRegistry agents, ManualTime time, WebApplication app, ApiOptions options, AlertFeed feed, RuleStore rules)
    {
        Dir = dir;
        Index = index;
        Agents = agents;
        Time = time;
        App = app;
        Options = options;
        Feed = feed;
        Rules = rules;
    }

    public string Dir { get; }
    public SqliteIndexSink Index { get; }
    public AgentRegistry Agents { get; }
    public ManualTime Time { get; }
    public WebApplication App { get; }
    public ApiOptions Options { get; }
    public AlertFeed Feed { get; }
    public RuleStore Rules { get; }
    public ApiTokenStore Tokens => (ApiTokenStore)App.Services.GetService(typeof(ApiTokenStore))!;
    public AuditLog Audit => new(Path.Combine(Dir, "data"));

    public LineageLedger? Ledger { get; private set; }
    public PurgeRunner? Purges { get; private set; }

    /// <param name="lineageAndPurges">Also a lineage ledger holding the seeded records' and alerts' hops, and a purge
    /// coordinator over the index and the ledger (one approval needed), as the demo runs them.</param>
    public static async Task<ApiTestHost> StartAsync(Func<ApiOptions, ApiOptions>? configure = null, bool seed = true, bool lineageAndPurges = false)
    {
        var dir = Directory.CreateTempSubdirectory("siem-api-").FullName;
        var data = Path.Combine(dir, "data");
        var time = new ManualTime(Start);
        var index = SqliteIndexSink.Open(data);
        var (events, alerts) = seed ? await SeedAsync(index) : ([], []);
        LineageLedger? ledger = null;
        SubjectPseudonymizer? subjects = null;
        PurgeRunner? purges = null;
        if (lineageAndPurges)
        {
            ledger = LineageLedger.Open(data);
            subjects = SubjectPseudonymizer.Open(data);
            await RecordLineageAsync(ledger, subjects, events, alerts);
            var coordinator = new PurgeCoordinator(data, [new ForwardFilterTarget(), new IndexPurgeTarget(index), new FilesPurgeTarget(), new LedgerPurgeTarget(ledger)],
                subjects, new AuditLog(data), new PurgeOptions { ApprovalsRequired = 1 });
            purges = new PurgeRunner(coordinator);
        }
        var agents = new AgentRegistry(Path.Combine(data, "engine", "agents.json"));
        agents.Register(AgentId, new byte[32], "demo", "web01");
        var options = new ApiOptions
        {
            DataDir = data,
            RulePacks = [RepoPaths.Packs],
            PipelinePath = RepoPaths.Pipeline,
            Time = time,
        };
        options = configure?.Invoke(options) ?? options;
        var feed = new AlertFeed(bufferPerWatcher: 4);
        var rules = new RuleStore(options.RulesDir ?? Path.Combine(data, "rules"), options.RulePacks);
        var app = SiemApi.Build(options, new ApiBackends
        {
            Index = index,
            Agents = agents,
            Alerts = feed,
            Rules = rules,
            Lineage = ledger,
            Subjects = subjects,
            Purges = purges,
            Metrics = () => new Dictionary<string, long> { ["engine.events_indexed"] = 42 },
        }, b => b.WebHost.UseTestServer());
        await app.StartAsync();
        return new ApiTestHost(dir, index, agents, time, app, options, feed, rules) { Ledger = ledger, Purges = purges };
    }

    /// <summary>A client with no credentials.</summary>
    public HttpClient Anonymous()
    {
        var c = App.GetTestClient();
        _clients.Add(c);
        return c;
    }

    /// <summary>A client signed in with a new token of this role.</summary>
    public HttpClient As(string role, TimeSpan? lifetime = null, string? name = null) => WithBearer(Tokens.Create(name ?? role + "-user", role, lifetime).Secret);

    public HttpClient WithBearer(string bearer)
    {
        var c = Anonymous();
        c.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return c;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients) c.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        if (Purges != null) await Purges.DisposeAsync();
        if (Ledger != null) await Ledger.DisposeAsync();
        await Index.DisposeAsync();
        Directory.Delete(Dir, recursive: true);
    }

    /// <summary>The sample logs through the agent's parsers, indexed, then our pack replayed over them for alerts.</summary>
    private static async Task<(List<LogEvent> Events, List<AlertDocument> Alerts)> SeedAsync(SqliteIndexSink index)
    {
        var parser = new ParserPipeline(new ParserOptions
        {
            AgentId = AgentId,
            HostName = "web01",
            TimeZone = DateTimeZone.Utc,
            Clock = new FixedClock(Instant.FromDateTimeOffset(Start)),
        });
        var events = new List<LogEvent>();
        foreach (var file in new[] { RepoPaths.AuthLog, RepoPaths.AuditLog })
        {
            long offset = 0;
            foreach (var line in File.ReadAllLines(file))
            {
                long next = offset + System.Text.Encoding.UTF8.GetByteCount(line) + 1;
                parser.Parse(new RawLine("file", "file:" + file, offset, next, line, Path: file), events);
                offset = next;
            }
            parser.Flush(events);
        }
        await index.WriteAsync(events, []);
        var detector = SigmaDetector.Load(RuleFiles(), RepoPaths.Pipeline);
        var alerts = new List<AlertDocument>();
        await new RuleReplayer(index, detector).RunAsync(null, null, alertRecorded: alerts.Add);
        return (events, alerts);
    }

    /// <summary>The hops the engine would have reported for the seeded records (one batch) and alerts.</summary>
    private static async Task RecordLineageAsync(LineageLedger ledger, SubjectPseudonymizer subjects, List<LogEvent> events, List<AlertDocument> alerts)
    {
        var lineage = new PipelineLineage(ledger, subjects, "test-engine", "sqlite");
        var at = Instant.FromDateTimeOffset(Start);
        var records = events.Select(lineage.Describe).ToList();
        await ledger.RecordBatchAsync(new BatchLineage(AgentId, 1, "SIEM_EVENTS", 1, "test-engine", "sqlite", at, at, records));
        var subjectsByRecord = records.ToDictionary(r => r.RecordId, r => r.SubjectIds);
        await ledger.RecordAlertsAsync([.. alerts.Select(a => new AlertLineage(a.AlertId, a.RuleId, a.RecordIds,
            [.. a.RecordIds.SelectMany(r => subjectsByRecord.GetValueOrDefault(r) ?? []).Distinct()], "sqlite", at))]);
    }

    private sealed class FixedClock(Instant now) : IClock
    {
        public Instant GetCurrentInstant() => now;
    }

    private static IEnumerable<string> RuleFiles() => Siem.Rules.RuleTests.RuleTestRunner.RuleFiles([RepoPaths.Packs]);
}
