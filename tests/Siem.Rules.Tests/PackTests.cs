using Siem.Host.Commands;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;
using Siem.Rules.RuleTests;

namespace Siem.Rules.Tests;

/// <summary>Our own rule pack (rules/packs): it loads cleanly and every rule passes the tests kept next to it.</summary>
public sealed class PackTests
{
    [Fact]
    public void Every_pack_rule_loads_without_errors_and_every_correlation_reference_resolves()
    {
        var set = RuleLoader.Load(RuleTestRunner.RuleFiles([PackPaths.Pack]));

        Assert.Empty(set.Errors);
        var session = new DetectionSession(set, FieldMappingPipeline.Load(PackPaths.DefaultPipeline));
        Assert.Empty(session.Compiled.CompileErrors);
        Assert.Empty(session.CorrelationProblems);
        Assert.Equal(["EventCount", "EventCount", "TemporalOrdered", "ValueCount"],
            set.Correlations.Cast<CorrelationRule>().Select(c => c.Type.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Every_pack_rule_has_tests_and_they_all_pass()
    {
        var report = RuleTestRunner.Run(PackPaths.Pack, FieldMappingPipeline.Load(PackPaths.DefaultPipeline), RulesTestCommand.LineParser());

        Assert.Empty(report.Untested);
        Assert.Equal(6, report.Results.Count);
        Assert.All(report.Results, r => Assert.True(r.Passed, $"{r.RuleFile}:\n  {string.Join("\n  ", r.Failures)}"));
        Assert.All(report.Results, r => Assert.True(r.Cases >= 3, $"{r.RuleFile} has only {r.Cases} cases"));
    }

    [Fact]
    public void Rules_test_command_prints_pass_per_rule_and_exits_zero_for_the_pack()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var exit = RulesTestCommand.Run(PackPaths.Pack, PackPaths.DefaultPipeline, stdout, stderr);

        Assert.True(exit == 0, stdout.ToString());
        Assert.Equal("", stderr.ToString());
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(6, lines.Count(l => l.StartsWith("PASS  ", StringComparison.Ordinal)));
        Assert.Equal("6 passed, 0 failed, 0 without tests", lines[^1].TrimEnd());
    }

    [Fact]
    public void Rules_test_command_reports_a_failing_expectation_with_file_and_line_and_exits_one()
    {
        var dir = Directory.CreateTempSubdirectory("siem-rules-test-");
        try
        {
            File.Copy(Path.Combine(PackPaths.Pack, "linux", "mr_ssh_brute_force.yml"), Path.Combine(dir.FullName, "bf.yml"));
            File.WriteAllText(Path.Combine(dir.FullName, "bf.tests.yml"), """
                match:
                    - {process.name: sshd, event.action: ssh_login, event.outcome: success}
                sequences:
                    - name: nine is not ten
                      events:
                          - {process.name: sshd, event.action: ssh_login, event.outcome: failure, source.ip: 192.0.2.1, _repeat: 9}
                      expect: {alerts: 1}
                """);
            using var stdout = new StringWriter();

            var exit = RulesTestCommand.Run(dir.FullName, PackPaths.DefaultPipeline, stdout, TextWriter.Null);

            Assert.Equal(1, exit);
            var text = stdout.ToString();
            Assert.Contains("FAIL  ", text, StringComparison.Ordinal);
            Assert.Contains("bf.tests.yml:2: match[0]: no rule of bf.yml matched", text, StringComparison.Ordinal);
            Assert.Contains("bf.tests.yml:4: sequence 'nine is not ten': expected 1 alert(s), got 0", text, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
