namespace Siem.Api.Endpoints.Responses;

internal sealed record PurgeList(IEnumerable<PurgeView> Purges);

/// <summary>A purge job as shown: never the sealed value; record ids as a count.</summary>
internal sealed record PurgeView(string Id, string State, bool Running, string SubjectField, string SubjectId, string RequestedBy, string Reason,
    DateTimeOffset RequestedAt, DateTimeOffset? From, DateTimeOffset? To, int ApprovalsRequired, IEnumerable<PurgeApprovalView> Approvals,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, IEnumerable<PurgeStepView> Steps, int Records, int AlertsDeleted, int AlertsRedacted,
    bool? Verified, bool Certificate, string? LastError);

internal sealed record PurgeApprovalView(string By, DateTimeOffset At);

internal sealed record PurgeStepView(string Store, long Deleted, long Redacted, long Erased, long Rewritten, long Shredded, string? Note);

/// <summary><c>started</c> is false when the job was already running here.</summary>
internal sealed record PurgeStarted(string Id, bool Started);
