using static Siem.Rules.Tests.DetectionTestKit;

namespace Siem.Rules.Tests;

public sealed class RegexSafetyTests
{
    [Fact]
    public async Task A_catastrophic_regex_over_a_long_value_returns_promptly()
    {
        var set = Load("sel:\n    F|re: '(a+)+$'\ncondition: sel");
        var compiled = CompiledRuleSet.Compile(set);
        var e = Ev(("F", new string('a', 50_000) + "!"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var matches = new List<SigmaRule>();
        // NonBacktracking runs in linear time: this finishes (and matches, "a$" at the end is not required here).
        await Task.Run(() => compiled.Match(e, matches), cts.Token).WaitAsync(cts.Token);
        Assert.Empty(matches);
    }

    [Fact]
    public async Task A_pattern_NonBacktracking_rejects_falls_back_to_a_timeout_instead_of_hanging()
    {
        // A backreference forces the backtracking engine; its match timeout turns the bomb into "no match".
        var set = Load("sel:\n    F|re: '^(a+)+\\1b$'\ncondition: sel");
        var compiled = CompiledRuleSet.Compile(set);
        var before = CompiledRuleSet.RegexTimeouts;
        var e = Ev(("F", new string('a', 5_000) + "!"));
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        var matches = new List<SigmaRule>();
        await Task.Run(() => compiled.Match(e, matches), cts.Token).WaitAsync(cts.Token);
        Assert.Empty(matches);
        Assert.True(CompiledRuleSet.RegexTimeouts > before);
    }
}
