using System.Text.Json.Serialization;

namespace Siem.Lineage.Purge;

/// <summary>
/// The durable state of one purge (<c>&lt;data&gt;/purge/&lt;id&gt;.json</c>, mode 0600, replaced atomically after every
/// step). It never holds the raw value in clear: <see cref="SealedValue"/> is AES-GCM under the per-job key in
/// <c>&lt;id&gt;.key</c>, which the job destroys once certified (see <see cref="PurgeValueVault"/>).
/// </summary>
public sealed class PurgeJob
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("state")] public PurgeJobState State { get; set; }
    [JsonPropertyName("subject_field")] public required string SubjectField { get; init; }
    [JsonPropertyName("subject_id")] public required string SubjectId { get; init; }
    [JsonPropertyName("sealed_value")] public string? SealedValue { get; set; }
    [JsonPropertyName("requested_by")] public required string RequestedBy { get; init; }
    [JsonPropertyName("reason")] public string Reason { get; init; } = "";
    [JsonPropertyName("requested_at")] public DateTimeOffset RequestedAt { get; init; }
    [JsonPropertyName("from")] public DateTimeOffset? From { get; init; }
    [JsonPropertyName("to")] public DateTimeOffset? To { get; init; }
    [JsonPropertyName("approvals_required")] public int ApprovalsRequired { get; init; }
    [JsonPropertyName("approvals")] public List<PurgeApproval> Approvals { get; init; } = [];
    [JsonPropertyName("started_at")] public DateTimeOffset? StartedAt { get; set; }
    [JsonPropertyName("completed_at")] public DateTimeOffset? CompletedAt { get; set; }
    /// <summary>Completed steps by target name, in the order they ran.</summary>
    [JsonPropertyName("steps")] public List<PurgeStoreResult> Steps { get; init; } = [];
    [JsonPropertyName("record_ids")] public List<string> RecordIds { get; init; } = [];
    [JsonPropertyName("deleted_alert_ids")] public List<string> DeletedAlertIds { get; init; } = [];
    [JsonPropertyName("redacted_alert_ids")] public List<string> RedactedAlertIds { get; init; } = [];
    [JsonPropertyName("certificate")] public string? CertificatePath { get; set; }
    [JsonPropertyName("verified")] public bool? Verified { get; set; }
    /// <summary>The last error that stopped the job (it resumes from the step that failed).</summary>
    [JsonPropertyName("last_error")] public string? LastError { get; set; }

    public bool StepDone(string name) => Steps.Exists(s => string.Equals(s.Store, name, StringComparison.Ordinal));
}
