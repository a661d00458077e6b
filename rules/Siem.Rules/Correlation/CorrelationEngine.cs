using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// Evaluates Sigma correlation rules over the matches of detection rules, in event time.
/// <para>
/// Window semantics (sliding, per group): a correlation fires when some span [s, s + timespan] (both ends
/// inclusive, s = the time of a counted match) holds matches whose aggregate satisfies the condition.
/// Lower-bound conditions (gt/gte) on event_count, value_count, value_sum, temporal and temporal_ordered are
/// decided the moment the window satisfies them; any upper bound (lt/lte/eq/neq), value_avg and
/// value_percentile are decided when the window anchored at the oldest open match closes, i.e. when the
/// watermark passes its end plus the allowed lateness (or at <see cref="Flush"/>). The matches of a window that
/// fired or closed are consumed, so 25 failed logins with <c>gte: 10</c> in one window give exactly 2 alerts.
/// </para>
/// <para>
/// Watermark = the latest event time seen. A match older than watermark − allowed lateness is dropped and
/// counted; a match within it is inserted at its event-time position, so out-of-order input counts as if it
/// had arrived in order. Not thread-safe: one engine per partition.
/// </para>
/// </summary>
public sealed partial class CorrelationEngine
{
    private readonly CorrelationOptions _options;
    private readonly List<CorrelationRuleState> _rules = [];
    private readonly Dictionary<string, List<(CorrelationRuleState State, int RuleIndex, string Reference)>> _baseReferences = new(StringComparer.Ordinal);
    private readonly Dictionary<(SigmaLogsource Logsource, string Field), IReadOnlyList<string>> _mappedFields = [];
    private Instant _watermark = Instant.MinValue;
    private Instant _lastSweep = Instant.MinValue;
    private static readonly Duration SweepEvery = Duration.FromSeconds(30);

    public CorrelationEngine(IEnumerable<CorrelationRule> rules, CorrelationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        _options = options ?? CorrelationOptions.Default;
        var byReference = new Dictionary<string, CorrelationRuleState>(StringComparer.Ordinal);
        foreach (var rule in rules)
        {
            var state = new CorrelationRuleState(rule);
            if (_rules.Any(r => r.Rule.Key == rule.Key))
            {
                throw new ArgumentException($"{rule.SourcePath}:{rule.Line}: correlation '{rule.Key}' is defined twice; ids and names must be unique");
            }
            _rules.Add(state);
            foreach (var reference in new[] { rule.Id, rule.Name })
            {
                if (reference is not null)
                {
                    byReference[reference] = state;
                }
            }
        }

        foreach (var state in _rules)
        {
            for (var i = 0; i < state.Rule.Rules.Count; i++)
            {
                var reference = state.Rule.Rules[i];
                if (byReference.TryGetValue(reference, out var child))
                {
                    child.Parents.Add((state, i, reference));
                }
                else
                {
                    if (!_baseReferences.TryGetValue(reference, out var list))
                    {
                        _baseReferences[reference] = list = [];
                    }
                    list.Add((state, i, reference));
                }
            }
        }
        foreach (var state in _rules)
        {
            state.Emit = state.Parents.Count == 0 || state.Parents.Any(p => p.Parent.Rule.Generate);
            CheckNoCycle(state, []);
        }
        HashSet<string>? sharedKept = null;
        foreach (var state in _rules)
        {
            state.KeptFields = KeptFieldsFor(state, _options.KeptEventFields, ref sharedKept);
        }
    }

    public IReadOnlyList<CorrelationRule> Rules => _rules.ConvertAll(r => r.Rule);

    /// <summary>The latest event time seen (<see cref="Instant.MinValue"/> before any).</summary>
    public Instant Watermark => _watermark;

    /// <summary>Referenced rule ids/names that are not correlations: the detection rules this engine listens to.</summary>
    public IReadOnlyCollection<string> BaseReferences => _baseReferences.Keys;

    public CorrelationStats StatsFor(string ruleKey) => _rules.First(r => r.Rule.Key == ruleKey).Stats;

    public CorrelationStats TotalStats
    {
        get
        {
            var total = new CorrelationStats();
            foreach (var r in _rules)
            {
                total.Add(r.Stats);
            }
            return total;
        }
    }

    /// <summary>Groups currently held by a rule (for tests and metrics).</summary>
    public int GroupCount(string ruleKey) => _rules.First(r => r.Rule.Key == ruleKey).Groups.Count;

    /// <summary>
    /// Whether a detection rule's own match should be reported: false when correlations reference it and
    /// none of them sets <c>generate: true</c> (the spec's default is to emit only the correlation).
    /// </summary>
    public bool ShouldEmit(SigmaRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        return ShouldEmit(rule.Id, rule.Name);
    }

    public bool ShouldEmit(string? ruleId, string? ruleName)
    {
        // Asked for every match of every rule: no allocation here.
        var (byId, byName) = ReferencesTo(ruleId, ruleName);
        return (byId is null && byName is null) || Generates(byId) || Generates(byName);

        static bool Generates(List<(CorrelationRuleState State, int RuleIndex, string Reference)>? references)
        {
            if (references is null)
            {
                return false;
            }
            foreach (var reference in references)
            {
                if (reference.State.Rule.Generate)
                {
                    return true;
                }
            }
            return false;
        }
    }

    /// <summary>The correlations referencing a detection rule by its id, and by its name when that differs.</summary>
    private (List<(CorrelationRuleState State, int RuleIndex, string Reference)>? ById, List<(CorrelationRuleState State, int RuleIndex, string Reference)>? ByName) ReferencesTo(string? ruleId, string? ruleName)
    {
        List<(CorrelationRuleState State, int RuleIndex, string Reference)>? byId = null, byName = null;
        if (ruleId is not null)
        {
            _baseReferences.TryGetValue(ruleId, out byId);
        }
        if (ruleName is not null && ruleName != ruleId)
        {
            _baseReferences.TryGetValue(ruleName, out byName);
        }
        return (byId, byName);
    }

    /// <summary>True when some correlation references this detection rule by id or name.</summary>
    public bool IsReferenced(string? ruleId, string? ruleName) =>
        (ruleId is not null && _baseReferences.ContainsKey(ruleId)) || (ruleName is not null && _baseReferences.ContainsKey(ruleName));

    /// <summary>Feeds a detection rule's match; alerts that fire are appended to <paramref name="output"/>.</summary>
    public void OnMatch(SigmaRule rule, LogEvent e, List<CorrelationAlert> output)
    {
        ArgumentNullException.ThrowIfNull(rule);
        OnMatch(rule.Id, rule.Name, rule.Logsource, e, output);
    }

    /// <summary>Feeds a match of the detection rule with this id/name (either may be null).</summary>
    public void OnMatch(string? ruleId, string? ruleName, SigmaLogsource? logsource, LogEvent e, List<CorrelationAlert> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(output);
        ForgetKeptCopy();
        OnMatchOfSameEvent(ruleId, ruleName, logsource, e, output);
    }

    /// <summary>
    /// <see cref="OnMatch(string?, string?, SigmaLogsource?, LogEvent, List{CorrelationAlert})"/> for the next rule that
    /// matched the same, unchanged event: the windows share the copy kept of it (a failed login feeds several correlations).
    /// </summary>
    internal void OnMatchOfSameEvent(string? ruleId, string? ruleName, SigmaLogsource? logsource, LogEvent e, List<CorrelationAlert> output)
    {
        var (byId, byName) = ReferencesTo(ruleId, ruleName);
        if (byId is not null)
        {
            foreach (var target in byId)
            {
                FeedBase(target.State, target.RuleIndex, target.Reference, ruleId, ruleName, logsource, e, output);
            }
        }
        if (byName is not null)
        {
            foreach (var target in byName)
            {
                // A correlation naming the same rule by id and by name counts it once.
                if (byId is null || !byId.Exists(t => t.State == target.State && t.RuleIndex == target.RuleIndex))
                {
                    FeedBase(target.State, target.RuleIndex, target.Reference, ruleId, ruleName, logsource, e, output);
                }
            }
        }
        Advance(e.Timestamp, output);
    }

    /// <summary>
    /// Moves the watermark with every event (matching or not), closing windows whose end + allowed lateness
    /// has passed. Cheap when nothing is due.
    /// </summary>
    public void Advance(Instant eventTime, List<CorrelationAlert> output)
    {
        if (eventTime > _watermark)
        {
            _watermark = eventTime;
        }
        if (_watermark - _lastSweep >= SweepEvery || _lastSweep == Instant.MinValue)
        {
            _lastSweep = _watermark;
            Sweep(_watermark - _options.AllowedLateness, output);
        }
    }

    /// <summary>End of input (e.g. an offline scan): decides every open window now.</summary>
    public void Flush(List<CorrelationAlert> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        // Children first, so their alerts can still complete the windows of correlations chained on them.
        foreach (var state in _rules.OrderByDescending(Depth))
        {
            foreach (var group in state.Groups.Values.ToList())
            {
                CloseDueWindows(state, group, Instant.MaxValue, output);
            }
        }
    }

    private void FeedBase(CorrelationRuleState state, int ruleIndex, string reference, string? ruleId, string? ruleName,
        SigmaLogsource? logsource, LogEvent e, List<CorrelationAlert> output)
    {
        Feed(state, ruleIndex, e.Timestamp, e.RecordId, field => LookupField(state.Rule, field, reference, ruleId, ruleName, logsource, e),
            [e.RecordId], [KeptOnce(e, state.KeptFields)], checkLate: true, output);
    }

    /// <summary>A group-by or condition field of a base rule's match: alias resolved, then mapped per the rule's logsource.</summary>
    private string? LookupField(CorrelationRule rule, string field, string reference, string? ruleId, string? ruleName, SigmaLogsource? logsource, LogEvent e)
    {
        var actual = ResolveAlias(rule, field, reference, ruleId, ruleName);
        if (_options.FieldMapper is { } mapper && logsource is not null)
        {
            // The mapper walks every transformation comparing logsources case-insensitively: that was a third of the
            // correlation engine's CPU when looked up per match, and its answer never changes.
            if (!_mappedFields.TryGetValue((logsource, actual), out var candidates))
            {
                _mappedFields[(logsource, actual)] = candidates = mapper.Map(logsource, actual);
            }
            foreach (var mapped in candidates)
            {
                if (e.Get(mapped) is { } v)
                {
                    return v;
                }
            }
        }
        return e.Get(actual);
    }

    private static string ResolveAlias(CorrelationRule rule, string field, string reference, string? ruleId, string? ruleName)
    {
        if (rule.Aliases.TryGetValue(field, out var perRule))
        {
            foreach (var key in new[] { reference, ruleName, ruleId })
            {
                if (key is not null && perRule.TryGetValue(key, out var actual))
                {
                    return actual;
                }
            }
        }
        return field;
    }

    /// <summary>Length of the longest chain from this correlation up to one nobody references.</summary>
    private static int Depth(CorrelationRuleState state) => state.Parents.Count == 0 ? 0 : 1 + state.Parents.Max(p => Depth(p.Parent));

    private void CheckNoCycle(CorrelationRuleState state, HashSet<CorrelationRuleState> path)
    {
        if (!path.Add(state))
        {
            throw new ArgumentException($"{state.Rule.SourcePath}:{state.Rule.Line}: correlation '{state.Rule.Key}' refers to itself through a chain of correlations");
        }
        foreach (var (parent, _, _) in state.Parents)
        {
            CheckNoCycle(parent, path);
        }
        path.Remove(state);
    }
}
