using NodaTime;

namespace Siem.Core.Events;

/// <summary>
/// One normalised record: ECS-aligned fields (see <see cref="EcsFields"/>) plus native fields
/// (Windows keeps <c>EventID</c>, <c>Image</c>, ... so Sigma rules match without a mapping).
/// Field names are flat, dotted and case-sensitive. A value is a <see cref="string"/> or,
/// for multi-valued fields, a <see cref="string"/>[]; nothing else is stored.
/// </summary>
public sealed class LogEvent
{
    /// <summary>Stable and unique per record; survives retries, so it is also the index document id.</summary>
    public required string RecordId { get; init; }

    public string AgentId { get; init; } = "";

    /// <summary>Event time (when it happened on the host), not ingestion time.</summary>
    public Instant Timestamp { get; set; }

    /// <summary>The original line or document exactly as read (after UTF-8 decoding with replacement).</summary>
    public string Original { get; init; } = "";

    public Dictionary<string, object> Fields { get; } = new(StringComparer.Ordinal);

    public void Set(string field, string value) => Fields[field] = value;

    /// <summary>Appends a value, turning a single value into a multi-value.</summary>
    public void Add(string field, string value)
    {
        Fields[field] = Fields.TryGetValue(field, out var existing) switch
        {
            false => value,
            true when existing is string s => new[] { s, value },
            _ => (object)(string[])[.. (string[])existing, value],
        };
    }

    /// <summary>The single value of a field, or the first of a multi-value.</summary>
    public string? Get(string field) => Fields.TryGetValue(field, out var v)
        ? v as string ?? (((string[])v).Length > 0 ? ((string[])v)[0] : null)
        : null;
}
