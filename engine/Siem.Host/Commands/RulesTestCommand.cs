using System.CommandLine;
using NodaTime;
using Siem.Collectors.Parsing;
using Siem.Collectors.Sources;
using Siem.Core.Events;
using Siem.Rules.Pipelines;
using Siem.Rules.RuleTests;

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem rules test DIR|FILE [--pipeline FILE]</c>: runs the unit tests kept next to rules (<c>foo.tests.yml</c> beside
/// <c>foo.yml</c>; format in <see cref="RuleTestRunner"/>). Prints pass/fail per rule; exit 1 on any failure.
/// </summary>
internal static class RulesTestCommand
{
    public static Command Create()
    {
        var target = new Argument<string>("path") { Description = "A rule directory (searched recursively) or one rule file" };
        var pipeline = new Option<string?>("--pipeline") { Description = "Field-mapping pipeline YAML (default: rules/packs/pipelines/default.yml)" };
        var cmd = new Command("test", "Run the rule unit tests kept next to rules (foo.tests.yml beside foo.yml).");
        cmd.Arguments.Add(target);
        cmd.Options.Add(pipeline);
        cmd.SetAction((ParseResult pr, CancellationToken ct) => Task.FromResult(Run(pr.GetValue(target)!, pr.GetValue(pipeline), Console.Out, Console.Error)));
        return cmd;
    }

    /// <summary>Exit code 0 when every test passed, 1 on any failure, 2 on unusable arguments.</summary>
    internal static int Run(string path, string? pipelinePath, TextWriter stdout, TextWriter stderr)
    {
        if (!Directory.Exists(path) && !File.Exists(path))
        {
            stderr.WriteLine($"siem rules test: {path}: no such file or directory");
            return 2;
        }
        FieldMappingPipeline pipeline;
        try
        {
            pipeline = (pipelinePath ?? ScanCommand.DefaultPipelinePath()) is { } p ? FieldMappingPipeline.Load(p) : FieldMappingPipeline.Empty;
        }
        catch (PipelineLoadException ex)
        {
            stderr.WriteLine($"siem rules test: bad pipeline: {ex.Message}");
            return 2;
        }
        var report = RuleTestRunner.Run(path, pipeline, LineParser());
        foreach (var result in report.Results)
        {
            stdout.WriteLine($"{(result.Passed ? "PASS" : "FAIL")}  {result.RuleFile}  ({result.Cases} cases)");
            foreach (var failure in result.Failures)
            {
                stdout.WriteLine($"      {failure}");
            }
        }
        foreach (var untested in report.Untested)
        {
            stdout.WriteLine($"NONE  {untested}  (no {Path.GetFileName(RuleTestRunner.TestFileFor(untested))})");
        }
        var failed = report.Results.Count(r => !r.Passed);
        stdout.WriteLine($"{report.Results.Count - failed} passed, {failed} failed, {report.Untested.Count} without tests");
        return failed > 0 ? 1 : 0;
    }

    /// <summary>
    /// Raw lines in tests go through the agent's parsers; year-less syslog times get the year of a fixed clock so a
    /// test means the same thing next year, and every line gets its own record id.
    /// </summary>
    internal static Func<string, IReadOnlyList<LogEvent>> LineParser()
    {
        var parser = new ParserPipeline(ScanInputs.DefaultOptions(new FixedClock(Instant.FromUtc(2025, 12, 31, 23, 0))));
        var lineNo = 0L;
        return line =>
        {
            var output = new List<LogEvent>();
            lineNo++;
            parser.Parse(new RawLine("rules-test", "rules-test", lineNo, lineNo + 1, line), output);
            parser.Flush(output); // one test line is one whole event, auditd included
            return output;
        };
    }

    private sealed class FixedClock(Instant now) : IClock
    {
        public Instant GetCurrentInstant() => now;
    }
}
