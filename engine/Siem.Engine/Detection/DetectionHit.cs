using NodaTime;

namespace Siem.Engine.Detection;

/// <summary>A rule fired: one event matched a detection rule, or a correlation rule's condition was met.</summary>
public sealed record DetectionHit
{
    public required string RuleId { get; init; }
    public required string Title { get; init; }
    public string Level { get; init; } = "medium";
    public string Kind { get; init; } = "detection";
    public string? Description { get; init; }
    public IReadOnlyList<string> Tags { get; init; } = [];
    public required IReadOnlyDictionary<string, string> GroupBy { get; init; }
    public required IReadOnlyList<string> RecordIds { get; init; }
    /// <summary>Key fields of the (first) matched event, see <see cref="AlertContext"/>.</summary>
    public IReadOnlyDictionary<string, string> Fields { get; init; } = new Dictionary<string, string>();
    public Instant First { get; init; }
    public Instant Last { get; init; }
}
