using Siem.Core.Events;
using Siem.Rules;
using Siem.Rules.Correlation;
using Siem.Rules.Pipelines;

namespace Siem.Engine.Detection;

/// <summary>
/// Sigma detection and correlation (<see cref="DetectionSession"/>) as an <see cref="IDetector"/>.
/// A detection hit is grouped by the event's host.name and source.ip (user.name when there is no source.ip),
/// so repeats of one rule from one attacker fold into one alert; a correlation hit keeps the rule's group-by.
/// With an <see cref="ICorrelationOutbox"/> (scale-out), matches that correlations count are routed there instead of
/// into local windows: this detector then keeps no correlation state and raises only detection hits.
/// Not thread-safe: the pipeline calls it from its single processing loop.
/// </summary>
public sealed class SigmaDetector : IDetector
{
    private readonly DetectionSession _session;
    private readonly List<SigmaRule> _detections = [];
    private readonly List<CorrelationAlert> _correlations = [];
    private readonly List<SigmaRule> _matches = [];
    private readonly List<CorrelationContribution> _contributions = [];
    private readonly ICorrelationOutbox? _outbox;

    public SigmaDetector(RuleSet rules, FieldMappingPipeline? pipeline = null, CorrelationOptions? correlationOptions = null, ICorrelationOutbox? outbox = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _outbox = outbox;
        _session = new DetectionSession(rules, pipeline, WithAlertContext(correlationOptions));
        RuleCount = _session.Compiled.RuleCount;
        CorrelationCount = _session.Correlations.Rules.Count;
        Problems = [.. rules.Errors, .. _session.Compiled.CompileErrors, .. _session.CorrelationProblems];
    }

    /// <summary>Correlation windows keep only the fields a hit shows (<see cref="AlertContext"/>) unless the caller chose others.</summary>
    internal static CorrelationOptions WithAlertContext(CorrelationOptions? options)
    {
        options ??= CorrelationOptions.Default;
        return options.KeptEventFields is null ? options with { KeptEventFields = AlertContext.FieldNames } : options;
    }

    public int RuleCount { get; }
    public int CorrelationCount { get; }

    /// <summary>The loaded correlation rules (what a scale-out partition needs to apply routed contributions).</summary>
    public IReadOnlyList<CorrelationRule> CorrelationRules => _session.Correlations.Rules;

    /// <summary>Rules that did not load or compile, and correlations that can never fire; the rest still run.</summary>
    public IReadOnlyList<RuleLoadError> Problems { get; }

    /// <summary>Loads every rule file under <paramref name="ruleDirs"/> and the field-mapping pipeline (optional).</summary>
    public static SigmaDetector Load(IEnumerable<string> ruleDirs, string? pipelinePath, CorrelationOptions? correlationOptions = null, ICorrelationOutbox? outbox = null)
    {
        var set = RuleLoader.Load(ruleDirs);
        var pipeline = pipelinePath != null ? FieldMappingPipeline.Load(pipelinePath) : null;
        return new SigmaDetector(set, pipeline, correlationOptions, outbox);
    }

    public void Detect(LogEvent e, List<DetectionHit> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(output);
        _detections.Clear();
        _correlations.Clear();
        if (_outbox != null)
        {
            Route(e, _outbox);
            foreach (var rule in _detections) output.Add(FromDetection(rule, e));
            return;
        }
        _session.Process(e, _detections, _correlations);
        foreach (var rule in _detections) output.Add(FromDetection(rule, e));
        foreach (var alert in _correlations) output.Add(FromCorrelation(alert));
    }

    public void Flush(List<DetectionHit> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        _correlations.Clear();
        _session.Flush(_correlations);
        foreach (var alert in _correlations) output.Add(FromCorrelation(alert));
    }

    /// <summary>The correlation engine's open windows, watermark and dedupe keys; null when no correlation rule is loaded.</summary>
    public byte[]? SaveState() => CorrelationCount == 0 || _outbox != null ? null : _session.Correlations.Snapshot();

    /// <remarks>Safe to write from another thread: the windows keep their own copies of events (<see cref="WithAlertContext"/>).</remarks>
    public Action<Stream>? CaptureState() => CorrelationCount == 0 || _outbox != null ? null : _session.Correlations.Capture().WriteTo;

    /// <summary>Detection as in <see cref="DetectionSession.Process"/>, but correlation matches go to the outbox.</summary>
    private void Route(LogEvent e, ICorrelationOutbox outbox)
    {
        outbox.Observe(e.Timestamp);
        _matches.Clear();
        _session.MatchDetections(e, _matches);
        var correlations = _session.Correlations;
        foreach (var rule in _matches)
        {
            if (correlations.ShouldEmit(rule)) _detections.Add(rule);
            _contributions.Clear();
            correlations.Route(rule, e, _contributions);
            foreach (var c in _contributions) outbox.Add(c);
        }
    }

    public void RestoreState(byte[] state) => _session.Correlations.Restore(state);

    /// <summary>With an outbox (scale-out) the partitions hold the correlation state and forget there.</summary>
    public int Forget(IReadOnlySet<string> recordIds, IReadOnlySet<string> values) =>
        CorrelationCount == 0 || _outbox != null ? 0 : _session.Correlations.Forget(recordIds, values);

    private static DetectionHit FromDetection(SigmaRule rule, LogEvent e)
    {
        var group = new Dictionary<string, string>(StringComparer.Ordinal);
        if (e.Get(EcsFields.HostName) is { Length: > 0 } host) group[EcsFields.HostName] = host;
        if (e.Get(EcsFields.SourceIp) is { Length: > 0 } ip) group[EcsFields.SourceIp] = ip;
        else if (e.Get(EcsFields.UserName) is { Length: > 0 } user) group[EcsFields.UserName] = user;
        return new DetectionHit
        {
            RuleId = rule.Id,
            Title = rule.Title,
            Level = string.IsNullOrEmpty(rule.Level) ? "medium" : rule.Level,
            Description = rule.Description,
            Tags = rule.Tags,
            GroupBy = group,
            RecordIds = [e.RecordId],
            Fields = AlertContext.From(e),
            First = e.Timestamp,
            Last = e.Timestamp,
        };
    }

    /// <summary>A correlation alert as a hit (also used by scale-out partitions, which raise correlation alerts away from the detector).</summary>
    internal static DetectionHit FromCorrelation(CorrelationAlert alert) => new()
    {
        RuleId = alert.Rule.Key,
        Title = alert.Rule.Title,
        Level = alert.Rule.Level,
        Kind = "correlation",
        Description = alert.Rule.Description,
        Tags = alert.Rule.Tags,
        GroupBy = alert.GroupBy.Where(kv => kv.Value != null).ToDictionary(kv => kv.Key, kv => kv.Value!, StringComparer.Ordinal),
        RecordIds = alert.RecordIds,
        Fields = alert.Events.Count > 0 ? AlertContext.From(alert.Events[0]) : new Dictionary<string, string>(),
        First = alert.First,
        Last = alert.Last,
    };
}
