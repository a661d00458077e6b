using Siem.Api.Endpoints.Responses;
using Siem.Api.Triage;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Api;

/// <summary>The JSON shapes the API returns (snake_case through the serializer options; times ISO-8601 UTC).</summary>
internal static class ApiJson
{
    public static AlertView Alert(AlertDocument a, AlertTriage? t) => new(a.AlertId, a.RuleId, a.Title, a.Level, a.Kind, a.Description,
        a.Tags, a.GroupBy, a.Fields, AlertJson.FormatInstant(a.FirstSeen), AlertJson.FormatInstant(a.LastSeen), a.Count, a.Backfill,
        a.RecordIds, Triage(a.AlertId, t));

    public static TriageView Triage(string alertId, AlertTriage? t) =>
        new(alertId, t?.Status ?? AlertTriage.Open, t?.Assignee, t?.Reason, t?.UpdatedAt, t?.UpdatedBy);

    public static EventView Event(LogEvent e) => new(e.RecordId, AlertJson.FormatInstant(e.Timestamp), e.AgentId, e.Original,
        e.Fields.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal));
}
