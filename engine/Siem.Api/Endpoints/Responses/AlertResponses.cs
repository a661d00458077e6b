namespace Siem.Api.Endpoints.Responses;

// The alert bodies of the API (snake_case on the wire, times ISO-8601 UTC). Named types so the OpenAPI document has a
// schema for each; the property order is the wire order the console reads.

/// <summary>An alert with its triage state.</summary>
internal sealed record AlertView(string AlertId, string RuleId, string Title, string Level, string Kind, string? Description,
    IReadOnlyList<string> Tags, IReadOnlyDictionary<string, string> GroupBy, IReadOnlyDictionary<string, string> Fields,
    string FirstSeen, string LastSeen, long Count, bool Backfill, IReadOnlyList<string> RecordIds, TriageView Triage);

/// <summary>An analyst's state of an alert (status open when nobody touched it).</summary>
internal sealed record TriageView(string AlertId, string Status, string? Assignee, string? Reason, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>A stored event: its fields as indexed and the original line.</summary>
internal sealed record EventView(string RecordId, string Timestamp, string AgentId, string Original, IReadOnlyDictionary<string, object> Fields);

internal sealed record AlertList(IEnumerable<AlertView> Alerts);

/// <summary>One alert, the events it was raised from (at most events_shown of events_total) and its triage history.</summary>
internal sealed record AlertDetail(AlertView Alert, IEnumerable<EventView> Events, int EventsShown, long EventsTotal, IEnumerable<TriageHistoryEntry> History);

internal sealed record TriageHistoryEntry(string Action, string? Detail, DateTimeOffset At, string Actor);

/// <summary>The data of one <c>event: alert</c> on the live stream; <c>new</c> is false for an update of a known alert.</summary>
internal sealed record LiveAlertMessage(AlertView Alert, bool New);
