using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Auth;
using Siem.Api.Endpoints.Responses;
using Siem.Engine.Alerts;
using Siem.Lineage.Ledger;
using Siem.Lineage.Subjects;

namespace Siem.Api.Endpoints;

/// <summary>
/// Lineage from the ledger: where an alert's and a record's copies live (source → agent batch → stream/seq → engine →
/// index) and where alerts were delivered; and, for compliance officers, what the ledger holds about one data subject.
/// The ledger never stores identifier values, so the answers show pseudonymous subject ids and counts only.
/// </summary>
internal static class LineageEndpoints
{
    private const int MaxRecordsListed = 200;

    public sealed record SubjectBody(string? Selector);

    public static void Map(RouteGroupBuilder api)
    {
        var lineage = api.MapGroup("/lineage");
        lineage.MapGet("/alerts/{id}", AlertAsync).RequireAuthorization(ApiPolicies.AnyRole).WithName("AlertLineage").Produces<AlertLineageView>()
            .WithSummary("An alert's lineage: the stored copies of the records it was built from and its deliveries to channels.");
        lineage.MapGet("/records/{id}", RecordAsync).RequireAuthorization(ApiPolicies.AnyRole).WithName("RecordLineage").Produces<RecordLineageView>()
            .WithSummary("A record's lineage: every stored copy, the alerts derived from it and their deliveries.");
        lineage.MapPost("/subject", SubjectAsync).RequireAuthorization(ApiPolicies.Compliance).WithName("SubjectLineage").Produces<SubjectLineageView>()
            .WithSummary("What the ledger holds about a data subject (selector FIELD=VALUE, e.g. user.name=alice): record and alert counts, places, earlier purges. The value is only pseudonymized, never stored; the lookup is audited by subject id.")
            .Audited("lineage.subject_lookup");
    }

    private static async Task<IResult> AlertAsync(string id, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Lineage is not { } ledger) return ApiErrors.NotAvailable("this host keeps no lineage ledger");
        var path = await ledger.AlertPathAsync(id, ct);
        if (path == null) return ApiErrors.NotFound($"the ledger has no alert '{id}' (alerts raised before lineage was recorded, or purged, have none)");
        return Results.Ok(new AlertLineageView(Alert(path.Alert), path.Records.Take(MaxRecordsListed).Select(Record), path.Records.Count,
            path.Deliveries.Select(Delivery), path.SubjectCount));
    }

    private static async Task<IResult> RecordAsync(string id, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Lineage is not { } ledger) return ApiErrors.NotAvailable("this host keeps no lineage ledger");
        var path = await ledger.RecordPathAsync(id, ct);
        if (path == null) return ApiErrors.NotFound($"the ledger has no record '{id}'");
        return Results.Ok(new RecordLineageView(path.RecordId, path.Copies.Select(Record), path.Alerts.Select(Alert),
            path.Deliveries.Select(Delivery), path.SubjectCount));
    }

    private static async Task<IResult> SubjectAsync(SubjectBody body, HttpContext http, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Lineage is not { } ledger || backends.Subjects is not { } subjects) return ApiErrors.NotAvailable("this host keeps no lineage ledger");
        string subjectId;
        try
        {
            subjectId = subjects.SubjectId(body.Selector ?? "");
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            return ApiErrors.BadRequest("selector: " + ex.Message);
        }
        AuditEndpointFilter.SetTarget(http, "subject/" + subjectId);
        var records = await ledger.RecordsOfSubjectAsync(subjectId, cancellationToken: ct);
        var alerts = await ledger.AlertsOfSubjectAsync(subjectId, ct);
        var tombstones = await ledger.TombstonesOfAsync(subjectId, ct);
        return Results.Ok(new SubjectLineageView(
            subjectId,
            records.Count,
            records.Take(MaxRecordsListed).Select(Record),
            records.GroupBy(r => r.Index).Select(g => new SubjectPlace(g.Key, g.Count())),
            records.GroupBy(r => r.Stream).Select(g => new SubjectStream(g.Key, g.Select(r => r.StreamSeq).Distinct().Count())),
            alerts.Select(Alert),
            tombstones.Select(t => new SubjectPurge(t.PurgeId, t.Records, t.AlertsDeleted, t.AlertsRedacted, Time(t.At)))));
    }

    private static string Time(Instant t) => AlertJson.FormatInstant(t);

    private static LedgerAlertView Alert(LedgerAlert a) => new(a.AlertId, a.RuleId, a.Index, Time(a.At), a.RecordIds);

    private static LedgerDeliveryView Delivery(LedgerDelivery d) => new(d.AlertId, d.Channel, d.Outcome, Time(d.At), d.DeadLetterId);

    private static LedgerRecordView Record(LedgerRecord r) => new(r.RecordId, r.AgentId, r.HostName, r.SourceKind, r.Source, r.Offset,
        Time(r.EventTime), r.BatchSeq, r.Stream, r.StreamSeq, r.EngineInstance, r.Index, Time(r.ReceivedAt), Time(r.IndexedAt));
}
