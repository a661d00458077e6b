using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Rules;
using Siem.Rules;

namespace Siem.Api.Endpoints;

/// <summary>Rules: list, read, validate, upload/update, enable/disable, test against pasted events, replay over history.</summary>
internal static partial class RuleEndpoints
{
    public sealed record YamlBody(string? Yaml);

    public static void Map(RouteGroupBuilder api)
    {
        var rules = api.MapGroup("/rules").RequireAuthorization(ApiPolicies.Analyst);
        rules.MapGet("/", (RuleStore store) => Results.Ok(new RuleList(store.List(), store.RuleSetErrors().Select(Error))))
            .WithName("ListRules").Produces<RuleList>().WithSummary("Every rule (packs and uploads) with its state, plus stored files that fail to load.");
        rules.MapGet("/{id}", (string id, RuleStore store) => store.Get(id) is { } r
                ? Results.Ok(new RuleDetail(r.Rule, r.Yaml))
                : ApiErrors.NotFound($"no rule '{id}'"))
            .WithName("GetRule").Produces<RuleDetail>().WithSummary("A rule and the YAML file that holds it.");
        rules.MapPost("/validate", (YamlBody body) =>
            {
                if (string.IsNullOrWhiteSpace(body.Yaml)) return ApiErrors.BadRequest("yaml: paste the rule YAML");
                var v = RuleStore.Validate(body.Yaml);
                return Results.Ok(new RuleValidationResult(v.IsValid, v.Ids, v.Errors.Select(Error)));
            })
            .WithName("ValidateRule").Produces<RuleValidationResult>().WithSummary("Load and compile YAML as the engine would; errors with line and column. Stores nothing.");
        rules.MapPost("/", (YamlBody body, HttpContext http, RuleStore store) => Save(body, null, http, store))
            .WithName("UploadRule").Produces<RuleSaved>(StatusCodes.Status201Created)
            .Produces<RuleRejection>(StatusCodes.Status409Conflict).Produces<RuleRejection>(StatusCodes.Status422UnprocessableEntity).WithSummary("Store a new rule (422 with errors when invalid, 409 when the id exists or belongs to a pack).")
            .Audited("rule.upload");
        rules.MapPut("/{id}", (string id, YamlBody body, HttpContext http, RuleStore store) => Save(body, id, http, store))
            .WithName("UpdateRule").Produces<RuleSaved>()
            .Produces<RuleRejection>(StatusCodes.Status404NotFound).Produces<RuleRejection>(StatusCodes.Status409Conflict).Produces<RuleRejection>(StatusCodes.Status422UnprocessableEntity).WithSummary("Replace an uploaded rule (pack rules are read-only).")
            .Audited("rule.update", "id");
        rules.MapPost("/{id}/enable", (string id, RuleStore store) => SetEnabled(id, true, store))
            .WithName("EnableRule").Produces<RuleEnabledState>().WithSummary("Switch a rule on.").Audited("rule.enable", "id");
        rules.MapPost("/{id}/disable", (string id, RuleStore store) => SetEnabled(id, false, store))
            .WithName("DisableRule").Produces<RuleEnabledState>().WithSummary("Switch a rule off (the engine stops raising its alerts).").Audited("rule.disable", "id");
        MapTesting(rules);
    }

    private static IResult Save(YamlBody body, string? id, HttpContext http, RuleStore store)
    {
        if (string.IsNullOrWhiteSpace(body.Yaml)) return ApiErrors.BadRequest("yaml: paste the rule YAML");
        var result = store.Save(body.Yaml, id);
        if (result.Rule is { } saved) AuditEndpointFilter.SetTarget(http, saved.Id);
        var errors = result.Errors.Select(Error);
        return result.Outcome switch
        {
            RuleSaveOutcome.Saved => Results.Json(new RuleSaved(result.Rule!), statusCode: id == null ? StatusCodes.Status201Created : StatusCodes.Status200OK),
            RuleSaveOutcome.Invalid => Results.Json(new RuleRejection("invalid_rule", errors), statusCode: StatusCodes.Status422UnprocessableEntity),
            RuleSaveOutcome.Conflict => Results.Json(new RuleRejection("conflict", errors), statusCode: StatusCodes.Status409Conflict),
            _ => Results.Json(new RuleRejection("not_found", errors), statusCode: StatusCodes.Status404NotFound),
        };
    }

    private static IResult SetEnabled(string id, bool enabled, RuleStore store) =>
        store.SetEnabled(id, enabled) ? Results.Ok(new RuleEnabledState(id, enabled)) : ApiErrors.NotFound($"no rule '{id}'");

    internal static RuleErrorView Error(RuleLoadError e) => new(e.Line, e.Column, e.RuleId, e.Message, e.Unsupported, e.ToString());
}
