namespace Siem.Api.Rules;

/// <summary>A correlation rule that fired over the pasted events.</summary>
public sealed record RuleSampleCorrelation(string RuleId, string Title, IReadOnlyDictionary<string, string> GroupBy, long Count,
    string First, string Last, IReadOnlyList<string> RecordIds);
