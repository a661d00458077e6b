using Siem.Engine.Alerts;

namespace Siem.Engine.Channels;

/// <summary>Which alerts a channel receives: all conditions given must hold (none given = every alert).</summary>
public sealed record AlertRoute
{
    public static AlertRoute All { get; } = new();

    /// <summary>Lowest Sigma level: informational, low, medium, high, critical.</summary>
    public string? MinLevel { get; init; }
    /// <summary>At least one tag starting with one of these (e.g. <c>attack.t1110</c> also matches <c>attack.t1110.001</c>).</summary>
    public IReadOnlyList<string> TagPrefixes { get; init; } = [];
    public IReadOnlyList<string> RuleIds { get; init; } = [];

    public bool Matches(AlertDocument alert)
    {
        ArgumentNullException.ThrowIfNull(alert);
        if (MinLevel != null && Rank(alert.Level) < Rank(MinLevel)) return false;
        if (TagPrefixes.Count > 0 && !alert.Tags.Any(t => TagPrefixes.Any(p => t.StartsWith(p, StringComparison.OrdinalIgnoreCase)))) return false;
        if (RuleIds.Count > 0 && !RuleIds.Contains(alert.RuleId, StringComparer.OrdinalIgnoreCase)) return false;
        return true;
    }

    public static int Rank(string level) => level.ToLowerInvariant() switch
    {
        "informational" => 0,
        "low" => 1,
        "medium" => 2,
        "high" => 3,
        "critical" => 4,
        _ => 2,
    };
}
