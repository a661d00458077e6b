namespace Siem.Rules.Tests;

/// <summary>Broken correlation rules are reported with file, line, column and rule id; the rest of the file still loads.</summary>
public sealed class CorrelationParserTests
{
    [Theory]
    [InlineData("type: event_count\n    rules: [a]\n    group-by: [h]\n    timespan: 5 minutes\n    condition: {gte: 1}", 7, 15, "invalid timespan '5 minutes'", false)]
    [InlineData("type: event_sum\n    rules: [a]\n    timespan: 5m", 4, 11, "unsupported correlation type 'event_sum'", true)]
    [InlineData("type: value_count\n    rules: [a]\n    timespan: 5m\n    condition: {gte: 3}", 7, 16, "'value_count' requires 'condition.field'", false)]
    [InlineData("type: event_count\n    rules: [a]\n    timespan: 5m", 4, 5, "'event_count' requires 'correlation.condition'", false)]
    [InlineData("type: event_count\n    rules: [a]\n    timespan: 5m\n    condition: {atleast: 3}", 7, 17, "unknown condition operator 'atleast'", false)]
    [InlineData("type: temporal\n    timespan: 5m", 4, 5, "missing required 'correlation.rules'", false)]
    public void A_broken_correlation_is_an_error_naming_its_place(string correlation, int line, int column, string message, bool unsupported)
    {
        var yaml = $"title: broken\nid: 11111111-2222-3333-4444-555555555555\ncorrelation:\n    {correlation}\n---\ntitle: fine\ncorrelation:\n    type: temporal\n    rules: [a, b]\n    group-by: [h]\n    timespan: 1m\n";

        var set = RuleLoader.LoadYaml(yaml, "c.yml");

        var error = Assert.Single(set.Errors);
        Assert.Equal(("c.yml", line, column, "11111111-2222-3333-4444-555555555555", unsupported), (error.Path, error.Line, error.Column, error.RuleId, error.Unsupported));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Single(set.Correlations);
    }
}
