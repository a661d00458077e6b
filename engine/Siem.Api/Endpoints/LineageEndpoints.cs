using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using NodaTime;
using Siem.Api.Audit;
using Siem.Api.Auth;
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
        lineage.MapGet("/alerts/{id}", AlertAsync).RequireAuthorization(ApiPolicies.AnyRole).WithName("AlertLineage")
            .WithSummary("An alert's lineage: the stored copies of the records it was built from and its deliveries to channels.");
        lineage.MapGet("/records/{id}", RecordAsync).RequireAuthorization(ApiPolicies.AnyRole).WithName("RecordLineage")
            .WithSummary("A record's lineage: every stored copy, the alerts derived from it and their deliveries.");
        lineage.MapPost("/subject", SubjectAsync).RequireAuthorization(ApiPolicies.Compliance).WithName("SubjectLineage")
            .WithSummary("What the ledger holds about a data subject (selector FIELD=VALUE, e.g. user.name=alice): record and alert counts, places, earlier purges. The value is only pseudonymized, never stored; the lookup is audited by subject id.")
            .Audited("lineage.subject_lookup");
    }

    private static async Task<IResult> AlertAsync(string id, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Lineage is not { } ledger) return ApiErrors.NotAvailable("this host keeps no lineage ledger");
        var path = await ledger.AlertPathAsync(id, ct);
        if (path == null) return ApiErrors.NotFound($"the ledger has no alert '{id}' (alerts raised before lineage was recorded, or purged, have none)");
        return Results.Ok(new
        {
            alert = Alert(path.Alert),
            records = path.Records.Take(MaxRecordsListed).Select(Record),
            records_total = path.Records.Count,
            deliveries = path.Deliveries.Select(Delivery),
            subject_count = path.SubjectCount,
        });
    }

    private static async Task<IResult> RecordAsync(string id, ApiBackends backends, CancellationToken ct)
    {
        if (backends.Lineage is not { } ledger) return ApiErrors.NotAvailable("this host keeps no lineage ledger");
        var path = await ledger.RecordPathAsync(id, ct);
        if (path == null) return ApiErrors.NotFound($"the ledger has no record '{id}'");
        return Results.Ok(new
        {
            record_id = path.RecordId,
            copies = path.Copies.Select(Record),
            alerts = path.Alerts.Select(Alert),
            deliveries = path.Deliveries.Select(Delivery),
            subject_count = path.SubjectCount,
        });
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
        return Results.Ok(new
        {
            subject_id = subjectId,
            records_total = records.Count,
            records = records.Take(MaxRecordsListed).Select(Record),
            places = records.GroupBy(r => r.Index).Select(g => new { index = g.Key, records = g.Count() }),
            streams = records.GroupBy(r => r.Stream).Select(g => new { stream = g.Key, messages = g.Select(r => r.StreamSeq).Distinct().Count() }),
            alerts = alerts.Select(Alert),
            purges = tombstones.Select(t => new { purge_id = t.PurgeId, records = t.Records, alerts_deleted = t.AlertsDeleted, alerts_redacted = t.AlertsRedacted, at = Time(t.At) }),
        });
    }

    private static string Time(Instant t) => AlertJson.FormatInstant(t);

    private static object Alert(LedgerAlert a) => new { alert_id = a.AlertId, rule_id = a.RuleId, index = a.Index, at = Time(a.At), record_ids = a.RecordIds };

    private static object Delivery(LedgerDelivery d) => new { alert_id = d.AlertId, channel = d.Channel, outcome = d.Outcome, at = Time(d.At), dead_letter_id = d.DeadLetterId };

    private static object Record(LedgerRecord r) => new
    {
        record_id = r.RecordId,
        agent_id = r.AgentId,
        host_name = r.HostName,
        source_kind = r.SourceKind,
        source = r.Source,
        offset = r.Offset,
        event_time = Time(r.EventTime),
        batch_seq = r.BatchSeq,
        stream = r.Stream,
        stream_seq = r.StreamSeq,
        engine = r.EngineInstance,
        index = r.Index,
        received_at = Time(r.ReceivedAt),
        indexed_at = Time(r.IndexedAt),
    };
}
