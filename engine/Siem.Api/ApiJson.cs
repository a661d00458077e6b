using Siem.Api.Triage;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Api;

/// <summary>The JSON shapes the API returns (snake_case through the serializer options; times ISO-8601 UTC).</summary>
internal static class ApiJson
{
    public static object Alert(AlertDocument a, AlertTriage? t) => new
    {
        alert_id = a.AlertId,
        rule_id = a.RuleId,
        title = a.Title,
        level = a.Level,
        kind = a.Kind,
        description = a.Description,
        tags = a.Tags,
        group_by = a.GroupBy,
        fields = a.Fields,
        first_seen = AlertJson.FormatInstant(a.FirstSeen),
        last_seen = AlertJson.FormatInstant(a.LastSeen),
        count = a.Count,
        backfill = a.Backfill,
        record_ids = a.RecordIds,
        triage = Triage(a.AlertId, t),
    };

    public static object Triage(string alertId, AlertTriage? t) => new
    {
        alert_id = alertId,
        status = t?.Status ?? AlertTriage.Open,
        assignee = t?.Assignee,
        reason = t?.Reason,
        updated_at = t?.UpdatedAt,
        updated_by = t?.UpdatedBy,
    };

    public static object Event(LogEvent e) => new
    {
        record_id = e.RecordId,
        timestamp = AlertJson.FormatInstant(e.Timestamp),
        agent_id = e.AgentId,
        original = e.Original,
        fields = e.Fields.ToDictionary(kv => kv.Key, kv => kv.Value, StringComparer.Ordinal),
    };
}
