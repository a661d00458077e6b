using NodaTime;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Search;

/// <summary>One search result: an event or an alert.</summary>
public sealed record SearchHit
{
    public required string Kind { get; init; }   // "event" | "alert"
    public required string Id { get; init; }
    public Instant Timestamp { get; init; }
    public LogEvent? Event { get; init; }
    public AlertDocument? Alert { get; init; }
}
