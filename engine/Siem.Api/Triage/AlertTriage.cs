namespace Siem.Api.Triage;

/// <summary>An analyst's state of an alert. Alerts without a row are <see cref="Open"/>.</summary>
public sealed record AlertTriage(string AlertId, string Status, string? Assignee, string? Reason, DateTimeOffset UpdatedAt, string UpdatedBy)
{
    public const string Open = "open";
    public const string Acknowledged = "acknowledged";
    public const string Closed = "closed";
}
