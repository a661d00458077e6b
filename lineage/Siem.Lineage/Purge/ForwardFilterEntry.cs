using System.Text.Json.Serialization;

namespace Siem.Lineage.Purge;

/// <summary>One purged subject the engine drops on arrival: pseudonymous id, field, and the purge's time scope (event time).</summary>
public sealed record ForwardFilterEntry(
    [property: JsonPropertyName("subject_id")] string SubjectId,
    [property: JsonPropertyName("field")] string Field,
    [property: JsonPropertyName("purge_id")] string PurgeId,
    [property: JsonPropertyName("from")] DateTimeOffset? From,
    [property: JsonPropertyName("to")] DateTimeOffset? To,
    [property: JsonPropertyName("added_at")] DateTimeOffset AddedAt);
