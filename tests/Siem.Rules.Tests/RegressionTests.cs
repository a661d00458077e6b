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
        file.EndsWith(".raw", StringComparison.Ordinal)
            ? File.ReadLines(file).Where(l => l.Length > 0).Select((l, i) => Message(file, i, l))
            : DetectionTestData.WindowsJsonEvents(file);

    private static LogEvent Message(string file, int i, string line)
    {
        var e = new LogEvent { RecordId = $"{file}:{i + 1}", Original = line };
        e.Set("message", line);
        return e;
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
