using System.Text.Json.Serialization;

namespace Siem.Lineage.Purge;

/// <summary>One approval of a purge (the two-person rule: never by the requester).</summary>
public sealed record PurgeApproval([property: JsonPropertyName("by")] string By, [property: JsonPropertyName("at")] DateTimeOffset At);
