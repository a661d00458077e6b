using NodaTime;
using Siem.Core.Events;
using Siem.Rules;
using Siem.Rules.Correlation;

namespace Siem.Rules.Tests;

/// <summary>Builds synthetic event streams for the correlation tests.</summary>
internal static class CorrelationTestKit
{
    public static readonly Instant T0 = Instant.FromUtc(2025, 1, 1, 0, 0);

    public static string SpecDir => Path.Combine(PackPaths.TestData, "sigma", "spec", "correlation-examples");

    private static int _seq;

    public static LogEvent Ev(double seconds, params (string Field, string Value)[] fields)
    {
        var e = new LogEvent { RecordId = $"r{Interlocked.Increment(ref _seq)}", Timestamp = T0 + Duration.FromSeconds(seconds) };
        foreach (var (f, v) in fields)
        {
            e.Set(f, v);
        }
        return e;
    }

    public static CorrelationRule Example(string file)
    {
        var set = RuleLoader.Load([Path.Combine(SpecDir, file)]);
        Assert.Empty(set.Errors);
        return Assert.IsType<CorrelationRule>(Assert.Single(set.Correlations));
    }

    public static RuleSet Yaml(string yaml)
    {
        var set = RuleLoader.LoadYaml(yaml, "test.yml");
        Assert.Empty(set.Errors);
        return set;
    }

    /// <summary>Feeds each (rule reference, event) pair as a detection match, then flushes; returns every alert.</summary>
    public static List<CorrelationAlert> Run(CorrelationEngine engine, IEnumerable<(string Rule, LogEvent Event)> matches, bool flush = true)
    {
        var output = new List<CorrelationAlert>();
        foreach (var (rule, e) in matches)
        {
            engine.OnMatch(rule, null, null, e, output);
        }
        if (flush)
        {
            engine.Flush(output);
        }
        return output;
    }
}
