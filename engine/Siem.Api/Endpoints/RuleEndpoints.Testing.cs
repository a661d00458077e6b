using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Rules;
using Siem.Engine.Alerts;
using Siem.Engine.Detection;
using Siem.Engine.Index;
using Siem.Engine.Replay;
using Siem.Rules;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Api.Endpoints;

internal static partial class RuleEndpoints
{
    public sealed record TestBody(string? Yaml, string? Events, IReadOnlyList<string>? RuleIds);
    public sealed record ReplayBody(string? From, string? To, IReadOnlyList<string>? RuleIds);

    private static void MapTesting(RouteGroupBuilder rules)
    {
        rules.MapPost("/test", Test).WithName("TestRule").Produces<RuleTestResult>().Produces<RuleRejection>(StatusCodes.Status422UnprocessableEntity)
            .WithSummary("Run rules over pasted events (JSON lines, a JSON array, or raw log lines): the pasted YAML when given, else the stored rules (rule_ids, or all enabled).");
        rules.MapPost("/replay", ReplayAsync).WithName("ReplayRules").Produces<ReplayOutcome>()
            .WithSummary("Run the enabled rules (or rule_ids) over stored events in [from, to) and record the alerts as backfill.")
            .Audited("rule.replay");
    }

    private static IResult Test(TestBody body, RuleStore store, FieldMappingPipeline pipeline)
    {
        if (string.IsNullOrWhiteSpace(body.Events)) return ApiErrors.BadRequest("events: paste one or more events (JSON lines, a JSON array or log lines)");
        RuleSet rules;
        if (!string.IsNullOrWhiteSpace(body.Yaml))
        {
            var v = RuleStore.Validate(body.Yaml);
            if (!v.IsValid) return Results.Json(new RuleRejection("invalid_rule", v.Errors.Select(Error)), statusCode: StatusCodes.Status422UnprocessableEntity);
            rules = v.Set;
        }
        else
        {
            rules = Select(store.EnabledRuleSet(), body.RuleIds, out var unknown);
            if (unknown != null) return ApiErrors.NotFound($"no enabled rule '{unknown}'");
        }
        var result = RuleSampleTester.Run(rules, body.Events, pipeline);
        var titles = rules.Rules.ToDictionary(r => r.Id, r => r.Title, StringComparer.Ordinal);
        return Results.Ok(new RuleTestResult(
            result.Events.Count,
            result.Problems,
            result.Matches.Select(m => new RuleTestMatch(m.EventNumber, m.Event.RecordId, m.Event.Original,
                m.RuleIds.Select(id => new RuleRef(id, titles.GetValueOrDefault(id, id))))),
            result.Correlations,
            result.Events.Select(ApiJson.Event)));
    }

    private static async Task<IResult> ReplayAsync(ReplayBody body, HttpContext http, ApiBackends backends, RuleStore store,
        FieldMappingPipeline pipeline, ApiOptions options, CancellationToken cancellationToken)
    {
        if (backends.Index is not SqliteIndexSink sqlite) return ApiErrors.NotAvailable("replay runs over the embedded SQLite index; this host indexes elsewhere");
        var now = Instant.FromDateTimeOffset(options.Time.GetUtcNow());
        Instant? from, to;
        try
        {
            from = QueryParsing.ParseTime("from", body.From, now);
            to = QueryParsing.ParseTime("to", body.To, now);
        }
        catch (FormatException ex)
        {
            return ApiErrors.BadRequest(ex.Message);
        }
        if (from == null || to == null) return ApiErrors.BadRequest("from and to are required (ISO-8601 or relative, e.g. -24h and now)");
        if (from >= to) return ApiErrors.BadRequest("from must be before to");
        var rules = Select(store.EnabledRuleSet(), body.RuleIds, out var unknown);
        if (unknown != null) return ApiErrors.NotFound($"no enabled rule '{unknown}'");
        AuditEndpointFilter.SetDetail(http, $"from={AlertJson.FormatInstant(from.Value)} to={AlertJson.FormatInstant(to.Value)} rules={(body.RuleIds is { Count: > 0 } ids ? string.Join(',', ids) : "enabled")}");
        var replayer = new RuleReplayer(sqlite, new SigmaDetector(rules, pipeline));
        var result = await replayer.RunAsync(from, to, cancellationToken: cancellationToken);
        return Results.Ok(new ReplayOutcome(result.Events, result.Alerts, result.AlertsByRule));
    }

    /// <summary>The rules to run: all of <paramref name="set"/>, or only the given ids (<paramref name="unknown"/> = the first id not in the set).</summary>
    private static RuleSet Select(RuleSet set, IReadOnlyList<string>? ids, out string? unknown)
    {
        unknown = null;
        if (ids is not { Count: > 0 }) return set;
        var wanted = ids.ToHashSet(StringComparer.Ordinal);
        var rules = set.Rules.Where(r => wanted.Contains(r.Id)).ToList();
        var correlations = set.Correlations.Where(c => c is CorrelationRule cr && wanted.Contains(cr.Key)).ToList();
        var found = rules.Select(r => r.Id).Concat(correlations.OfType<CorrelationRule>().Select(c => c.Key)).ToHashSet(StringComparer.Ordinal);
        unknown = ids.FirstOrDefault(i => !found.Contains(i));
        // A correlation needs the detection rules it counts, even when only the correlation was asked for.
        var referenced = correlations.OfType<CorrelationRule>().SelectMany(c => c.Rules).ToHashSet(StringComparer.Ordinal);
        rules.AddRange(set.Rules.Where(r => !wanted.Contains(r.Id) && (referenced.Contains(r.Id) || (r.Name != null && referenced.Contains(r.Name)))));
        return new RuleSet(rules, correlations, set.Filters, [], rules.Count + correlations.Count);
    }
}
