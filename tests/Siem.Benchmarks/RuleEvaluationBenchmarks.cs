using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Siem.Core.Events;
using Siem.Rules;

namespace Siem.Benchmarks;

/// <summary>
/// Sigma evaluation over the OTRF Windows datasets with the whole SigmaHQ corpus compiled (one op = one pass over
/// all 1,361 events, single thread). <c>siem bench rules</c> prints the same figure as events/s.
/// </summary>
[MemoryDiagnoser]
public class RuleEvaluationBenchmarks
{
    private CompiledRuleSet _rules = null!;
    private List<LogEvent> _events = null!;
    private readonly List<SigmaRule> _matches = new(64);

    [GlobalSetup]
    public void Setup()
    {
        var testData = FindTestData();
        _rules = CompiledRuleSet.Compile(RuleLoader.Load([Path.Combine(testData, "sigma", "rules")]));
        _events = [];
        foreach (var file in Directory.GetFiles(Path.Combine(testData, "otrf"), "*.json").Order(StringComparer.Ordinal))
        {
            foreach (var line in File.ReadLines(file).Where(l => l.Length > 0))
            {
                using var doc = JsonDocument.Parse(line);
                var e = new LogEvent { RecordId = $"{file}:{_events.Count}" };
                foreach (var p in doc.RootElement.EnumerateObject())
                {
                    if (p.Value.ValueKind is not JsonValueKind.Object and not JsonValueKind.Array and not JsonValueKind.Null)
                    {
                        e.Set(p.Name, p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText());
                    }
                }
                _events.Add(e);
            }
        }
    }

    [Benchmark(OperationsPerInvoke = 1361)]
    public int MatchOtrfEvents()
    {
        var total = 0;
        foreach (var e in _events)
        {
            _rules.Match(e, _matches);
            total += _matches.Count;
            _matches.Clear();
        }
        return total;
    }

    private static string FindTestData()
    {
        // BenchmarkDotNet runs from a generated project under the artifacts; `dotnet run` starts in the repository.
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared", "testdata");
                if (File.Exists(Path.Combine(dir.FullName, "Siem.sln")) && Directory.Exists(candidate))
                {
                    return Path.GetFullPath(candidate);
                }
            }
        }
        throw new InvalidOperationException("cannot find ../shared/testdata next to the repository; run from the repository");
    }
}
