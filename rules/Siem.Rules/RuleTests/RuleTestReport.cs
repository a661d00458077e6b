namespace Siem.Rules.RuleTests;

/// <summary>Every rule test found under a directory, plus the rule files that have none.</summary>
public sealed record RuleTestReport(IReadOnlyList<RuleTestResult> Results, IReadOnlyList<string> Untested)
{
    public bool Passed => Results.All(r => r.Passed);
}
