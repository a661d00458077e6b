namespace Siem.Engine.Channels;

/// <summary>Headers of the messages on <c>siem.alerts.&gt;</c> that are not alert states but instructions to the delivery.</summary>
public static class AlertNoticeHeaders
{
    /// <summary>"resolve" (closed through triage) or "expire" (resolve when the suppression window has ended); absent on alert states.</summary>
    public const string Action = "Siem-Alert-Action";
    public const string AlertId = "Siem-Alert-Id";
    /// <summary>Subject prefix of the notices: <c>siem.alerts.resolved.&lt;level&gt;</c> (not matched by <c>siem.alerts.*</c>).</summary>
    public const string ResolvedSubjectPrefix = "siem.alerts.resolved";

    public const string ResolveAction = "resolve";
    public const string ExpireAction = "expire";
}
