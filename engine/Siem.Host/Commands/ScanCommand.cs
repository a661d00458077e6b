using System.CommandLine;
using System.Diagnostics;
using System.Runtime.CompilerServices;
using NodaTime;
using Siem.Core.Events;
using Siem.Rules;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;
using Siem.Rules.RuleTests;

[assembly: InternalsVisibleTo("Siem.Rules.Tests")]

namespace Siem.Host.Commands;

/// <summary>
/// <c>siem scan --rules DIR|FILE... [--pipeline FILE] [--json] INPUT...</c>: detection and correlation rules over
/// files, offline (like Hayabusa or Chainsaw). Rules that fail to load are reported on stderr; the rest still run.
/// </summary>
internal static partial class ScanCommand
{
    /// <summary>What to scan and how; <see cref="Pipeline"/> null = the default pipeline found from the repo root.</summary>
    internal sealed record Settings(IReadOnlyList<string> Rules, IReadOnlyList<string> Inputs, string? Pipeline, bool Json, bool Progress = false);

    /// <summary>Counts of one scan, as printed in the summary line.</summary>
    internal sealed record Summary(long Events, long Matches, int Rules, double EventsPerSecond);

    public static Command Create()
    {
        var rules = new Option<string[]>("--rules") { Description = "Sigma rule files or directories (detection and correlation rules)", Required = true, AllowMultipleArgumentsPerToken = true };
        var pipeline = new Option<string?>("--pipeline") { Description = "Field-mapping pipeline YAML (default: rules/packs/pipelines/default.yml)" };
        var json = new Option<bool>("--json") { Description = "One JSON line per match, then a summary line" };
        var inputs = new Argument<string[]>("inputs") { Description = "Files or directories: JSON lines, one JSON event document, syslog/auth.log, auditd", Arity = ArgumentArity.OneOrMore };
        var cmd = new Command("scan", "Evaluate Sigma detection and correlation rules over log files, offline.");
        cmd.Options.Add(rules);
        cmd.Options.Add(pipeline);
        cmd.Options.Add(json);
        cmd.Arguments.Add(inputs);
        cmd.SetAction((ParseResult pr, CancellationToken ct) =>
        {
            var settings = new Settings(pr.GetValue(rules)!, pr.GetValue(inputs)!, pr.GetValue(pipeline), pr.GetValue(json), Progress: !Console.IsErrorRedirected);
            return Task.FromResult(Run(settings, Console.Out, Console.Error, ct).ExitCode);
        });
        return cmd;
    }

    /// <summary>The whole scan; tests call this directly. Exit code 0 = scanned (matches or not), 2 = nothing could be scanned.</summary>
    internal static (int ExitCode, Summary? Summary) Run(Settings settings, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
    {
        FieldMappingPipeline mapper;
        try
        {
            mapper = LoadPipeline(settings.Pipeline, stderr);
        }
        catch (PipelineLoadException ex)
        {
            stderr.WriteLine($"siem scan: bad pipeline: {ex.Message}");
            return (2, null);
        }

        // Packs keep rule tests and pipelines next to rules: they are not rules.
        var set = RuleLoader.Load(RuleTestRunner.RuleFiles(settings.Rules));
        foreach (var error in set.Errors)
        {
            stderr.WriteLine($"siem scan: rule not loaded: {error}");
        }
        DetectionSession session;
        try
        {
            // Offline inputs are not time-ordered across files, so nothing counts as late; windows close at the end.
            session = new DetectionSession(set, mapper, CorrelationOptions.Default with { AllowedLateness = Duration.FromDays(3650) });
        }
        catch (ArgumentException ex)
        {
            stderr.WriteLine($"siem scan: correlation rules unusable: {ex.Message}");
            return (2, null);
        }
        foreach (var error in session.Compiled.CompileErrors.Concat(session.CorrelationProblems))
        {
            stderr.WriteLine($"siem scan: rule not loaded: {error}");
        }
        var ruleCount = session.Compiled.RuleCount + session.Correlations.Rules.Count;
        if (ruleCount == 0)
        {
            stderr.WriteLine("siem scan: no rule loaded; nothing to scan with");
            return (2, null);
        }

        var reader = new ScanInputs(ScanInputs.DefaultOptions(), stderr);
        var files = reader.Expand(settings.Inputs);
        if (files.Count == 0)
        {
            stderr.WriteLine("siem scan: no input to scan");
            return (2, null);
        }
        var output = new ScanOutput(stdout, settings.Json);
        var progress = settings.Progress ? new ScanProgress(stderr, reader) : null;
        var stopwatch = Stopwatch.StartNew();
        long events = 0;
        var detections = new List<SigmaRule>();
        var alerts = new List<CorrelationAlert>();
        var origins = new ConditionalWeakTable<LogEvent, ScanOutput.Origin>();
        foreach (var (given, path) in files)
        {
            foreach (var located in reader.Read(given, path))
            {
                cancellationToken.ThrowIfCancellationRequested();
                events++;
                detections.Clear();
                alerts.Clear();
                session.Process(located.Event, detections, alerts);
                foreach (var rule in detections)
                {
                    output.Detection(rule, located);
                }
                origins.AddOrUpdate(located.Event, new ScanOutput.Origin(located.Input, located.Line));
                foreach (var alert in alerts)
                {
                    output.Correlation(alert, origins);
                }
                progress?.Tick();
            }
        }
        alerts.Clear();
        session.Flush(alerts);
        foreach (var alert in alerts)
        {
            output.Correlation(alert, origins);
        }
        progress?.Done();
        var seconds = Math.Max(stopwatch.Elapsed.TotalSeconds, 1e-6);
        var summary = new Summary(events, output.Matches, ruleCount, Math.Round(events / seconds, 1));
        output.Finish(summary);
        return (reader.FailedInputs > 0 && events == 0 ? 2 : 0, summary);
    }

    private static FieldMappingPipeline LoadPipeline(string? path, TextWriter stderr)
    {
        if (path is not null)
        {
            return FieldMappingPipeline.Load(path);
        }
        var found = DefaultPipelinePath();
        if (found is null)
        {
            stderr.WriteLine("siem scan: default pipeline rules/packs/pipelines/default.yml not found; fields are not mapped (pass --pipeline FILE)");
            return FieldMappingPipeline.Empty;
        }
        return FieldMappingPipeline.Load(found);
    }

    /// <summary>rules/packs/pipelines/default.yml above the executable or the working directory.</summary>
    internal static string? DefaultPipelinePath()
    {
        foreach (var start in new[] { AppContext.BaseDirectory, Directory.GetCurrentDirectory() })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "rules", "packs", "pipelines", "default.yml");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }
        return null;
    }
}
