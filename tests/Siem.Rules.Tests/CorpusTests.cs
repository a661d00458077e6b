using Xunit.Abstractions;

namespace Siem.Rules.Tests;

public sealed class CorpusTests(ITestOutputHelper output)
{
    [Fact]
    public void The_whole_SigmaHQ_corpus_loads_with_at_least_99_percent_and_only_unsupported_constructs_fail()
    {
        var set = DetectionTestData.Corpus;
        var compiled = DetectionTestData.CompiledCorpus;
        var failures = set.Errors.Concat(compiled.CompileErrors).ToList();
        foreach (var f in failures)
        {
            output.WriteLine(f.ToString());
        }
        output.WriteLine($"documents {set.TotalDocuments}, rules {set.Rules.Count}, compiled {compiled.RuleCount}, failed {failures.Count}");

        Assert.Equal(3141, set.TotalDocuments);
        Assert.True(compiled.RuleCount >= set.TotalDocuments * 0.99, $"only {compiled.RuleCount} of {set.TotalDocuments} loaded");
        // A failure must be something we knowingly do not implement, never a parse bug on valid Sigma.
        Assert.All(failures, f => Assert.True(f.Unsupported, f.ToString()));
        Assert.All(failures, f => Assert.NotNull(f.RuleId));
    }
}
