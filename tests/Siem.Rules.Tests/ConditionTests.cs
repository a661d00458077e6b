using static Siem.Rules.Tests.DetectionTestKit;

namespace Siem.Rules.Tests;

public sealed class ConditionTests
{
    private const string Ids = "sel1:\n    A: '1'\nsel2:\n    B: '1'\nfilter:\n    C: '1'\n_hidden:\n    D: '1'\n";

    private static bool Eval(string condition, params string[] present) =>
        Matches(Ids + "condition: " + condition, Ev([.. present.Select(f => (f, "1")), ("Z", "z")]));

    [Theory]
    [InlineData("sel1 or sel2 and filter", new[] { "A" }, true)] // and binds tighter than or
    [InlineData("(sel1 or sel2) and filter", new[] { "A" }, false)]
    [InlineData("not sel1 and sel2", new[] { "B" }, true)] // not binds tighter than and
    [InlineData("not (sel1 and sel2)", new[] { "A", "B" }, false)]
    [InlineData("sel1 and not filter", new[] { "A", "C" }, false)]
    [InlineData("sel1 and not filter", new[] { "A" }, true)]
    [InlineData("not not sel1", new[] { "A" }, true)]
    [InlineData("SEL1 or sel2", new[] { "B" }, true)]
    public void And_or_not_parentheses_with_spec_precedence(string condition, string[] present, bool expected)
    {
        if (condition.StartsWith("SEL1", StringComparison.Ordinal))
        {
            // Identifiers are case-sensitive: SEL1 is not sel1.
            var set = RuleLoader.LoadYaml(Rule(Ids + "condition: " + condition), "c.yml");
            Assert.Contains("SEL1", Assert.Single(set.Errors).Message, StringComparison.Ordinal);
            return;
        }
        Assert.Equal(expected, Eval(condition, present));
    }

    [Theory]
    [InlineData("1 of sel*", new[] { "B" }, true)]
    [InlineData("1 of sel*", new[] { "C" }, false)]
    [InlineData("all of sel*", new[] { "A" }, false)]
    [InlineData("all of sel*", new[] { "A", "B" }, true)]
    [InlineData("1 of them", new[] { "C" }, true)]
    [InlineData("1 of them", new[] { "D" }, false)] // _hidden is not part of them
    [InlineData("all of them", new[] { "A", "B", "C" }, true)]
    [InlineData("all of them", new[] { "A", "B" }, false)]
    [InlineData("1 of sel* and not 1 of filter*", new[] { "A", "C" }, false)]
    [InlineData("1 of sel* and not 1 of filter*", new[] { "A" }, true)]
    [InlineData("2 of them", new[] { "A", "C" }, true)]
    [InlineData("any of sel?", new[] { "B" }, true)]
    public void Of_expressions_over_patterns_and_them(string condition, string[] present, bool expected) =>
        Assert.Equal(expected, Eval(condition, present));

    [Fact]
    public void A_list_of_conditions_is_or_linked() =>
        Assert.True(Matches(Ids + "condition:\n    - sel1\n    - sel2", Ev(("B", "1"))));

    [Theory]
    [InlineData("sel1 and", "ends unexpectedly")]
    [InlineData("(sel1 or sel2", "missing ')'")]
    [InlineData("sel1 sel2", "unexpected 'sel2'")]
    [InlineData("sel3", "'sel3', which is not a search identifier")]
    [InlineData("1 of nothing*", "matches no search identifier")]
    [InlineData("sel1 | count() > 5", "deprecated")]
    public void Broken_conditions_are_reported_with_the_condition_line(string condition, string message)
    {
        var set = RuleLoader.LoadYaml(Rule(Ids + "condition: " + condition), "c.yml");
        var error = Assert.Single(set.Errors);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(14, error.Line); // title, id, logsource(2), detection, 8 identifier lines, then condition
        Assert.Equal("11111111-1111-1111-1111-111111111111", error.RuleId);
        Assert.Empty(set.Rules);
    }
}
