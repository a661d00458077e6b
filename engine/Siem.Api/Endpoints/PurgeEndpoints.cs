using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Api.Purges;
using Siem.Lineage.Purge;
using Siem.Lineage.Subjects;

namespace Siem.Api.Endpoints;

/// <summary>
/// Right-to-be-forgotten purges for compliance officers: request (FIELD=VALUE; the value is sealed in the job and never
/// shown again), approve (two-person rule: not by the requester), status, and the signed certificate. An approved job runs
/// in the background (<see cref="PurgeRunner"/>); the purge coordinator audits each step with the subject's pseudonym only.
/// </summary>
internal static partial class PurgeEndpoints
{
    public sealed record CreateBody(string? Selector, string? Reason, string? From, string? To);

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9-]{0,80}$")]
    private static partial Regex JobIdPattern();

    public static void Map(RouteGroupBuilder api)
    {
        var purges = api.MapGroup("/purges").RequireAuthorization(ApiPolicies.Compliance);
        purges.MapGet("/", (ApiBackends b) => b.Purges is not { } p ? Unavailable() : Results.Ok(new PurgeList(p.Coordinator.Jobs.List().Reverse().Select(j => View(j, p)))))
            .WithName("ListPurges").Produces<PurgeList>().WithSummary("Purge jobs, newest first: state, who asked and approved, steps done, certificate.");
        purges.MapPost("/", CreateAsync).WithName("CreatePurge").Produces<PurgeView>(StatusCodes.Status201Created)
            .WithSummary("Request a purge of one data subject (selector FIELD=VALUE, a reason, optional from/to). Runs once approved (at once when the policy needs no approval).")
            .Audited("purge.create");
        purges.MapGet("/{id}", (string id, ApiBackends b) => WithJob(id, b, (job, p) => Results.Ok(View(job, p))))
            .WithName("GetPurge").Produces<PurgeView>().WithSummary("One purge job's status.");
        purges.MapPost("/{id}/approve", ApproveAsync).WithName("ApprovePurge").Produces<PurgeView>().Produces<ApiError>(StatusCodes.Status409Conflict)
            .WithSummary("Approve a requested purge (not by the person who requested it); it starts when enough approvals are in.")
            .Audited("purge.approve", "id");
        purges.MapPost("/{id}/run", (string id, HttpContext http, ApiBackends b) => WithJob(id, b, (job, p) =>
                job.State is PurgeJobState.Requested or PurgeJobState.Certified
                    ? ApiErrors.Conflict($"purge {id} is {job.State.ToString().ToLowerInvariant()}; only an approved or interrupted job can run")
                    : Results.Json(new PurgeStarted(id, p.Start(id, AlertEndpoints.Actor(http))), statusCode: StatusCodes.Status202Accepted)))
            .WithName("RunPurge").Produces<PurgeStarted>(StatusCodes.Status202Accepted).Produces<ApiError>(StatusCodes.Status409Conflict).WithSummary("Start (or resume after a failure) an approved purge.").Audited("purge.run", "id");
        purges.MapGet("/{id}/certificate", (string id, ApiBackends b) => WithJob(id, b, (job, _) =>
                job.CertificatePath is { } path && File.Exists(path)
                    ? Results.File(File.ReadAllBytes(path), "application/json", id + ".certificate.json")
                    : ApiErrors.NotFound($"purge {id} has no certificate yet (state {job.State.ToString().ToLowerInvariant()})")))
            .WithName("PurgeCertificate").Produces<System.Text.Json.Nodes.JsonObject>().WithSummary("The signed purge certificate (JSON: counts and places per store, never the subject).");
    }

    private static async Task<IResult> CreateAsync(CreateBody body, HttpContext http, ApiBackends backends, ApiOptions options, CancellationToken ct)
    {
        if (backends.Purges is not { } runner) return Unavailable();
        string field, value;
        try
        {
            (field, value) = SubjectPseudonymizer.ParseSelector(body.Selector ?? "");
        }
        catch (FormatException ex)
        {
            return ApiErrors.BadRequest("selector: " + ex.Message);
        }
        if (string.IsNullOrWhiteSpace(body.Reason)) return ApiErrors.BadRequest("reason: say why (e.g. the erasure request's reference)");
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
        if (from != null && to != null && from >= to) return ApiErrors.BadRequest("from must be before to");
        string actor = AlertEndpoints.Actor(http);
        PurgeJob job;
        try
        {
            job = await runner.Coordinator.RequestAsync(field, value, actor, body.Reason.Trim(), from, to, ct);
        }
        catch (ArgumentException ex)
        {
            return ApiErrors.BadRequest("selector: " + ex.Message);
        }
        AuditEndpointFilter.SetTarget(http, "purge/" + job.Id);
        AuditEndpointFilter.SetDetail(http, $"subject_id={job.SubjectId} field={job.SubjectField}");
        if (job.State == PurgeJobState.Approved) runner.Start(job.Id, actor);
        return Results.Json(View(job, runner), statusCode: StatusCodes.Status201Created);
    }

    private static async Task<IResult> ApproveAsync(string id, HttpContext http, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Purges is not { } runner) return Unavailable();
        if (!JobIdPattern().IsMatch(id)) return ApiErrors.NotFound($"no purge '{id}'");
        string actor = AlertEndpoints.Actor(http);
        PurgeJob job;
        try
        {
            job = await runner.Coordinator.ApproveAsync(id, actor, ct);
        }
        catch (FileNotFoundException)
        {
            return ApiErrors.NotFound($"no purge '{id}'");
        }
        catch (InvalidOperationException ex)
        {
            return ApiErrors.Conflict(ex.Message);
        }
        if (job.State == PurgeJobState.Approved) runner.Start(id, actor);
        return Results.Ok(View(job, runner));
    }

    private static IResult WithJob(string id, ApiBackends backends, Func<PurgeJob, PurgeRunner, IResult> then)
    {
        if (backends.Purges is not { } runner) return Unavailable();
        // The id names a file in the jobs folder: only the shape the coordinator issues is looked up.
        if (!JobIdPattern().IsMatch(id)) return ApiErrors.NotFound($"no purge '{id}'");
        PurgeJob job;
        try
        {
            job = runner.Coordinator.Jobs.Load(id);
        }
        catch (FileNotFoundException)
        {
            return ApiErrors.NotFound($"no purge '{id}'");
        }
        return then(job, runner);
    }

    private static IResult Unavailable() => ApiErrors.NotAvailable("this host runs no purge coordinator");

    /// <summary>A job as shown: never the sealed value; record ids as a count.</summary>
    private static PurgeView View(PurgeJob j, PurgeRunner runner) => new(
        j.Id, j.State.ToString().ToLowerInvariant(), runner.IsRunning(j.Id), j.SubjectField, j.SubjectId, j.RequestedBy, j.Reason,
        j.RequestedAt, j.From, j.To, j.ApprovalsRequired, j.Approvals.Select(a => new PurgeApprovalView(a.By, a.At)),
        j.StartedAt, j.CompletedAt, j.Steps.Select(s => new PurgeStepView(s.Store, s.Deleted, s.Redacted, s.Erased, s.Rewritten, s.Shredded, s.Note)),
        j.RecordIds.Count, j.DeletedAlertIds.Count, j.RedactedAlertIds.Count, j.Verified, j.CertificatePath != null, j.LastError);
}
