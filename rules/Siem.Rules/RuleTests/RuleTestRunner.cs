using Siem.Core.Events;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Rules.RuleTests;

/// <summary>
/// Runs rule unit tests kept next to rules: for <c>foo.yml</c>, <c>foo.tests.yml</c> holds
/// <list type="bullet">
/// <item><c>match:</c> events at least one rule of <c>foo.yml</c> must match,</item>
/// <item><c>no_match:</c> events no rule of <c>foo.yml</c> may match,</item>
/// <item><c>sequences:</c> ordered event streams (for correlations) with <c>expect: {alerts: N, groups: [{field: value}]}</c>,
/// where alerts counts what an analyst would see: correlation alerts plus detection matches not suppressed by
/// <c>generate: false</c>; groups lists the group-by values of the correlation alerts in order.</item>
/// </list>
/// An event is a YAML map of fields (nested maps are flattened with dots, lists become multi-values,
/// <c>@timestamp</c> sets the event time; default 2025-01-01T00:00:00Z + one second per event) or a string: a raw
/// log line, parsed by <paramref name="parseLine"/> (the agent's parsers). In sequences, a map may carry
/// <c>_repeat: N</c> and <c>_every: 10s</c> to stand for N events spaced in time; <c>{i}</c> in its values becomes 0..N−1.
/// </summary>
public static class RuleTestRunner
{
    public const string TestSuffix = ".tests.yml";

    public static RuleTestReport Run(string dirOrFile, FieldMappingPipeline? pipeline = null, Func<string, IReadOnlyList<LogEvent>>? parseLine = null)
    {
        ArgumentNullException.ThrowIfNull(dirOrFile);
        var ruleFiles = Directory.Exists(dirOrFile)
            ? RuleFiles([dirOrFile]).ToList()
            : [dirOrFile.EndsWith(TestSuffix, StringComparison.Ordinal) ? RuleFileFor(dirOrFile) : dirOrFile];
        var results = new List<RuleTestResult>();
        var untested = new List<string>();
        foreach (var ruleFile in ruleFiles)
        {
            var testFile = TestFileFor(ruleFile);
            if (!File.Exists(testFile))
            {
                untested.Add(ruleFile);
                continue;
            }
            results.Add(RunOne(ruleFile, testFile, pipeline, parseLine));
        }
        return new RuleTestReport(results, untested);
    }

    public static string TestFileFor(string ruleFile) => Path.Combine(Path.GetDirectoryName(ruleFile) ?? "", Path.GetFileNameWithoutExtension(ruleFile) + TestSuffix);

    private static string RuleFileFor(string testFile) => testFile[..^TestSuffix.Length] + ".yml";

    /// <summary>
    /// Rule files under the given files/directories: <c>*.yml</c>/<c>*.yaml</c> except rule tests (<c>*.tests.yml</c>)
    /// and pipelines (files in a <c>pipelines</c> folder), which sit next to rules in a pack. Files given by name are kept.
    /// </summary>
    public static IEnumerable<string> RuleFiles(IEnumerable<string> filesOrDirectories)
    {
        ArgumentNullException.ThrowIfNull(filesOrDirectories);
        foreach (var entry in filesOrDirectories)
        {
            if (!Directory.Exists(entry))
            {
                yield return entry;
                continue;
            }
            foreach (var f in Directory.EnumerateFiles(entry, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
            {
                if ((f.EndsWith(".yml", StringComparison.OrdinalIgnoreCase) || f.EndsWith(".yaml", StringComparison.OrdinalIgnoreCase))
                    && !f.EndsWith(TestSuffix, StringComparison.OrdinalIgnoreCase)
                    && !Path.GetRelativePath(entry, f).Split(Path.DirectorySeparatorChar).Contains("pipelines"))
                {
                    yield return f;
                }
            }
        }
    }

    public static RuleTestResult RunOne(string ruleFile, string testFile, FieldMappingPipeline? pipeline, Func<string, IReadOnlyList<LogEvent>>? parseLine)
    {
        var failures = new List<string>();
        var set = RuleLoader.Load([ruleFile]);
        failures.AddRange(set.Errors.Select(e => $"rule does not load: {e}"));
        RuleTestFile tests;
        try
        {
            tests = RuleTestFile.Load(testFile, parseLine);
        }
        catch (FormatException ex)
        {
            failures.Add(ex.Message);
            return new RuleTestResult(ruleFile, testFile, 0, failures);
        }
        if (set.Rules.Count == 0 && set.Correlations.Count == 0)
        {
            failures.Add($"{ruleFile}: no rule loaded");
            return new RuleTestResult(ruleFile, testFile, tests.CaseCount, failures);
        }

        var session = new DetectionSession(set, pipeline);
        failures.AddRange(session.CorrelationProblems.Select(e => e.ToString()));
        var matches = new List<SigmaRule>();
        foreach (var c in tests.Match)
        {
            matches.Clear();
            session.MatchDetections(c.Event, matches);
            if (matches.Count == 0)
            {
                failures.Add($"{testFile}:{c.Line}: {c.Label}: no rule of {Path.GetFileName(ruleFile)} matched {Describe(c.Event)}");
            }
        }
        foreach (var c in tests.NoMatch)
        {
            matches.Clear();
            session.MatchDetections(c.Event, matches);
            if (matches.Count > 0)
            {
                failures.Add($"{testFile}:{c.Line}: {c.Label}: '{matches[0].Title}' matched but must not: {Describe(c.Event)}");
            }
        }
        foreach (var seq in tests.Sequences)
        {
            // Each sequence runs on fresh correlation state.
            var fresh = new DetectionSession(set, pipeline);
            var detections = new List<SigmaRule>();
            var alerts = new List<CorrelationAlert>();
            foreach (var e in seq.Events)
            {
                fresh.Process(e, detections, alerts);
            }
            fresh.Flush(alerts);
            var seen = detections.Count + alerts.Count;
            if (seq.ExpectedAlerts is { } expected && expected != seen)
            {
                failures.Add($"{testFile}:{seq.Line}: sequence '{seq.Name}': expected {expected} alert(s), got {seen} " +
                    $"({alerts.Count} correlation: [{string.Join("; ", alerts.Select(a => $"{a.Rule.Title} {Describe(a.GroupBy)}"))}], {detections.Count} detection: [{string.Join("; ", detections.Select(d => d.Title))}])");
            }
            if (seq.ExpectedGroups is { } groups)
            {
                var actual = alerts.Select(a => Describe(a.GroupBy)).ToList();
                var wanted = groups.Select(g => Describe(g)).ToList();
                if (!actual.SequenceEqual(wanted, StringComparer.Ordinal))
                {
                    failures.Add($"{testFile}:{seq.Line}: sequence '{seq.Name}': expected groups [{string.Join("; ", wanted)}], got [{string.Join("; ", actual)}]");
                }
            }
        }
        return new RuleTestResult(ruleFile, testFile, tests.CaseCount, failures);
    }

    private static string Describe(LogEvent e) => "{" + string.Join(", ", e.Fields.Select(f => $"{f.Key}: {(f.Value is string s ? s : string.Join('|', (string[])f.Value))}")) + "}";

    private static string Describe(IEnumerable<KeyValuePair<string, string?>> group) => "{" + string.Join(", ", group.Select(g => $"{g.Key}: {g.Value ?? "null"}")) + "}";
}
