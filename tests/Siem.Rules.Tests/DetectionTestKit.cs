using Siem.Core.Events;
using Siem.Rules.Evaluation;

namespace Siem.Rules.Tests;

/// <summary>Small builders for detection tests: a rule from a detection snippet, an event from pairs, and both evaluators.</summary>
internal static class DetectionTestKit
{
    private static int _seq;

    public static LogEvent Ev(params (string Field, string Value)[] fields)
    {
        var e = new LogEvent { RecordId = $"t{Interlocked.Increment(ref _seq)}" };
        foreach (var (f, v) in fields)
        {
            e.Add(f, v);
        }
        return e;
    }

    /// <summary>A full rule document around a detection block (indented by 4 spaces inside <c>detection:</c>).</summary>
    public static string Rule(string detection, string logsource = "category: test", string id = "11111111-1111-1111-1111-111111111111") =>
        $"title: test rule\nid: {id}\nlogsource:\n    {logsource}\ndetection:\n{Indent(detection)}\nlevel: high\n";

    private static string Indent(string s) => string.Join("\n", s.Trim('\n').Split('\n').Select(l => "    " + l));

    /// <summary>Loads one rule and asserts it loaded without errors.</summary>
    public static RuleSet Load(string detection)
    {
        var set = RuleLoader.LoadYaml(Rule(detection), "test.yml");
        Assert.Empty(set.Errors);
        Assert.Single(set.Rules);
        return set;
    }

    /// <summary>Evaluates with the compiled evaluator AND the reference interpreter, asserts they agree, returns the verdict.</summary>
    public static bool Matches(string detection, LogEvent e, CompileOptions? options = null)
    {
        var set = Load(detection);
        var compiled = CompiledRuleSet.Compile(set, options: options);
        Assert.Empty(compiled.CompileErrors);
        var matches = new List<SigmaRule>();
        compiled.Match(e, matches);
        var reference = new ReferenceEvaluator(options: options).Matches(set.Rules[0], e, set.Filters);
        Assert.Equal(reference, matches.Count == 1);
        return reference;
    }
}
