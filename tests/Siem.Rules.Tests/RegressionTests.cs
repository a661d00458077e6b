using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Xunit.Abstractions;

namespace Siem.Rules.Tests;

public sealed class RegressionTests(ITestOutputHelper output)
{
    public static TheoryData<string> Cases()
    {
        var data = new TheoryData<string>();
        foreach (var info in Directory.GetFiles(DetectionTestData.Regression, "info.yml", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(DetectionTestData.Regression, Path.GetDirectoryName(info)!));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Every_regression_case_triggers_the_rule_named_in_its_info_yml(string caseDir)
    {
        var dir = Path.Combine(DetectionTestData.Regression, caseDir);
        var ruleId = RuleIdOf(Path.Combine(dir, "info.yml"));
        var events = Directory.GetFiles(dir).Where(f => !f.EndsWith("info.yml", StringComparison.Ordinal)).SelectMany(Events).ToList();
        Assert.NotEmpty(events);

        var matched = 0;
        var matches = new List<SigmaRule>();
        foreach (var e in events)
        {
            matches.Clear();
            DetectionTestData.CompiledCorpus.Match(e, matches);
            if (matches.Any(r => r.Id == ruleId))
            {
                matched++;
            }
            output.WriteLine($"{e.RecordId}: {string.Join(", ", matches.Select(m => m.Id))}");
        }
        Assert.True(matched > 0, $"rule {ruleId} matched none of the {events.Count} events in {caseDir}");
    }

    private static IEnumerable<LogEvent> Events(string file) =>
        file.EndsWith(".raw", StringComparison.Ordinal) ? RawLines(file) : DetectionTestData.WindowsJsonEvents(file);

    /// <summary>A raw case's lines as the agent reads them (a Cisco line gets its event.module from its message code).</summary>
    internal static List<LogEvent> RawLines(string file)
    {
        var parser = new ParserPipeline(ParserOptions.Default with { AgentId = "regression" });
        var events = new List<LogEvent>();
        long offset = 0;
        foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
        {
            parser.Parse(new RawLine("regression", file, offset, offset + line.Length + 1, line, Path: file), events);
            offset += line.Length + 1;
        }
        return events;
    }

    private static string RuleIdOf(string infoYml)
    {
        var set = File.ReadAllLines(infoYml);
        var inMeta = false;
        foreach (var line in set)
        {
            if (line.StartsWith("rule_metadata:", StringComparison.Ordinal))
            {
                inMeta = true;
            }
            else if (inMeta && line.TrimStart().StartsWith("- id:", StringComparison.Ordinal))
            {
                return line.Split(':', 2)[1].Trim();
            }
        }
        throw new InvalidOperationException($"{infoYml} names no rule id under rule_metadata");
    }
}
