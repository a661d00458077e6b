using Siem.Lineage.Purge;

namespace Siem.Engine.Purge;

/// <summary>
/// What correlation and suppression state must forget of a purged subject: their records (by id), the alerts the
/// purge deleted or redacted (by id) and, where the raw value is known (in the purge process, never in a running
/// engine), anything that holds the value as a token. Record and alert ids are not personal data on their own, so
/// this much may travel to running engines (<see cref="Control.LiveChanges"/>).
/// </summary>
public sealed record SubjectForgetting
{
    public required string JobId { get; init; }
    public required IReadOnlySet<string> RecordIds { get; init; }
    public IReadOnlySet<string> AlertIds { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The raw value as a token; null in a running engine (it only learns ids).</summary>
    public SubjectValueMatcher? Value { get; init; }

    public bool IsEmpty => RecordIds.Count == 0 && AlertIds.Count == 0 && Value == null;

    public bool HoldsValue(string? text) => Value is { } m && m.IsMatch(text);

    /// <summary>The raw value as an exact value (what <c>CorrelationEngine.Forget</c> compares group-by and field
    /// values with); empty in a running engine.</summary>
    public IReadOnlySet<string> ExactValues => Value is { } m ? new HashSet<string>([m.Value], StringComparer.Ordinal) : NoValues;

    private static readonly IReadOnlySet<string> NoValues = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>The subject's part of a purge scope (after the index step found its records and alerts).</summary>
    public static SubjectForgetting Of(PurgeScope scope)
    {
        ArgumentNullException.ThrowIfNull(scope);
        return new SubjectForgetting
        {
            JobId = scope.JobId,
            RecordIds = scope.RecordIds,
            AlertIds = new HashSet<string>(scope.DeletedAlertIds.Concat(scope.RedactedAlertIds), StringComparer.Ordinal),
            Value = scope.Matcher,
        };
    }
}
