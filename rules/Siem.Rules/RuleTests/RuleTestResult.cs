namespace Siem.Rules.RuleTests;

/// <summary>The outcome of one <c>foo.tests.yml</c> against its <c>foo.yml</c>.</summary>
public sealed record RuleTestResult(string RuleFile, string TestFile, int Cases, IReadOnlyList<string> Failures)
{
    public bool Passed => Failures.Count == 0;
}
