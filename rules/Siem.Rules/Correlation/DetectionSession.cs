using Siem.Core.Events;
using Siem.Rules.Pipelines;

namespace Siem.Rules.Correlation;

/// <summary>
/// Detection and correlation together, for one ordered stream of events (an offline scan, a rule test, one
/// engine partition): compiled detection rules, the pipeline's logsource event conditions, then the correlation
/// engine fed with every match. Reports what an analyst should see: detection matches that are not suppressed by
/// a correlation's <c>generate: false</c>, and correlation alerts. Not thread-safe.
/// </summary>
public sealed class DetectionSession
{
    private readonly CompiledRuleSet _compiled;
    private readonly FieldMappingPipeline _pipeline;
    private readonly List<SigmaRule> _scratch = [];

    public DetectionSession(RuleSet set, FieldMappingPipeline? pipeline = null, CorrelationOptions? correlationOptions = null, CompileOptions? compileOptions = null)
    {
        ArgumentNullException.ThrowIfNull(set);
        _pipeline = pipeline ?? FieldMappingPipeline.Empty;
        _compiled = CompiledRuleSet.Compile(set, _pipeline, compileOptions);
        var options = (correlationOptions ?? CorrelationOptions.Default) with { FieldMapper = _pipeline };
        // Ids are unique in Sigma; two correlations with one id cannot be told apart (the spec's own examples
        // event_count.yml and event_count_ecs.yml share one): the first loaded runs, a later copy is skipped and named.
        var first = new Dictionary<string, CorrelationRule>(StringComparer.Ordinal);
        var problems = new List<RuleLoadError>();
        foreach (var c in set.Correlations.OfType<CorrelationRule>())
        {
            if (!first.TryAdd(c.Key, c))
            {
                problems.Add(new RuleLoadError(c.SourcePath, c.Line, 1, c.Key,
                    $"correlation '{c.Title}' has the id of the one in {first[c.Key].SourcePath}:{first[c.Key].Line}; this copy is skipped", false));
            }
        }
        Correlations = new CorrelationEngine(first.Values, options);
        var known = new HashSet<string>(set.Rules.Select(r => r.Id).Concat(set.Rules.Where(r => r.Name is not null).Select(r => r.Name!))
            .Concat(set.Correlations.OfType<CorrelationRule>().SelectMany(c => new[] { c.Id, c.Name }).OfType<string>()), StringComparer.Ordinal);
        problems.AddRange(Correlations.Rules
            .SelectMany(c => c.Rules.Where(r => !known.Contains(r)).Select(r => new RuleLoadError(c.SourcePath, c.Line, 1, c.Id ?? c.Name,
                $"correlation '{c.Title}' refers to rule '{r}', which is not loaded; it can never fire", false))));
        CorrelationProblems = problems;
    }

    public CompiledRuleSet Compiled => _compiled;

    public CorrelationEngine Correlations { get; }

    /// <summary>Correlations skipped because their id repeats an earlier one, and references to rules that are not in the set (reported as errors by tools).</summary>
    public IReadOnlyList<RuleLoadError> CorrelationProblems { get; }

    /// <summary>Matches of detection rules for this event, before suppression (all rules whose logsource conditions hold).</summary>
    public void MatchDetections(LogEvent e, List<SigmaRule> matches)
    {
        ArgumentNullException.ThrowIfNull(matches);
        var start = matches.Count;
        _compiled.Match(e, matches);
        for (var i = matches.Count - 1; i >= start; i--)
        {
            if (!_pipeline.Accepts(matches[i].Logsource, e))
            {
                matches.RemoveAt(i);
            }
        }
    }

    /// <summary>Evaluates one event: emitted detection matches go to <paramref name="detections"/>, correlation alerts to <paramref name="alerts"/>.</summary>
    public void Process(LogEvent e, List<SigmaRule> detections, List<CorrelationAlert> alerts)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(detections);
        _scratch.Clear();
        MatchDetections(e, _scratch);
        // Detection does not change the event, so every correlation fed by its matches keeps one copy of it.
        Correlations.ForgetKeptCopy();
        foreach (var rule in _scratch)
        {
            if (Correlations.ShouldEmit(rule))
            {
                detections.Add(rule);
            }
            Correlations.OnMatchOfSameEvent(rule.Id, rule.Name, rule.Logsource, e, alerts);
        }
        Correlations.Advance(e.Timestamp, alerts);
    }

    /// <summary>End of the stream: decides every window still open.</summary>
    public void Flush(List<CorrelationAlert> alerts) => Correlations.Flush(alerts);
}
