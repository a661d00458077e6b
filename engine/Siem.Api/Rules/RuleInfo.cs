namespace Siem.Api.Rules;

/// <summary>A rule as the console lists it.</summary>
/// <param name="Kind">detection or correlation.</param>
/// <param name="Source">pack (read-only, shipped with the platform) or custom (uploaded through the API).</param>
public sealed record RuleInfo(string Id, string Title, string Level, string Status, string Kind, string Source, string Path,
    bool Enabled, IReadOnlyList<string> Tags, string? Description);
