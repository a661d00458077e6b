using NodaTime;

namespace Siem.Lineage.Purge;

/// <summary>
/// What a purge step works on: the subject (field, pseudonymous id, and the raw value while the job runs), the time
/// scope, and what earlier steps found (record and alert ids), which later steps need after a crash too, so the
/// coordinator persists them in the job file.
/// </summary>
public sealed class PurgeScope
{
    public required string JobId { get; init; }
    public required string DataDir { get; init; }
    public required string Field { get; init; }
    public required string SubjectId { get; init; }

    /// <summary>The raw value; null in a pseudonymous-only verification (<c>purge verify</c> without <c>--subject</c>).</summary>
    public string? Value { get; init; }

    public Instant? From { get; init; }
    public Instant? To { get; init; }

    /// <summary>Record ids of the subject (the ledger's and the ones found by value in the stores).</summary>
    public HashSet<string> RecordIds { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Alerts deleted because they concerned only the subject.</summary>
    public HashSet<string> DeletedAlertIds { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Alerts kept but redacted because they also concern others.</summary>
    public HashSet<string> RedactedAlertIds { get; init; } = new(StringComparer.Ordinal);

    /// <summary>Matches the raw value in text and bytes; null when the value is not known.</summary>
    public SubjectValueMatcher? Matcher => Value == null ? null : _matcher ??= new SubjectValueMatcher(Value);

    private SubjectValueMatcher? _matcher;

    public bool InScope(Instant t) => (From == null || t >= From) && (To == null || t < To);
}
