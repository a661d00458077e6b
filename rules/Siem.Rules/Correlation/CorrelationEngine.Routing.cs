using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// Scale-out: detection and correlation on different engines. The engine that detected a match turns it into
/// <see cref="CorrelationContribution"/>s (<see cref="Route(string?, string?, SigmaLogsource?, LogEvent, List{CorrelationContribution})"/>),
/// one per correlation window it counts towards; the engine owning that window's partition applies them in the
/// order its partition stream delivers them (<see cref="Apply"/>). Applying the same contributions in the same order
/// yields the same windows, alerts and synthetic ids, so a partition's state can be rebuilt by replay.
/// </summary>
public sealed partial class CorrelationEngine
{
    private readonly List<CorrelationContribution> _routedChained = [];
    private Dictionary<string, CorrelationRuleState>? _byKey;

    /// <summary>The window a contribution counts towards, as one string: rule key, then the group-by values (absent = NUL).</summary>
    public static string GroupKeyOf(string ruleKey, IReadOnlyList<string?> groupValues)
    {
        ArgumentNullException.ThrowIfNull(ruleKey);
        ArgumentNullException.ThrowIfNull(groupValues);
        return ruleKey + "\u001e" + string.Join('\u001f', groupValues.Select(v => v ?? "\u0000"));
    }

    /// <summary>Turns a detection rule's match into the contributions it makes to correlation windows (none when no correlation refers to the rule).</summary>
    public void Route(SigmaRule rule, LogEvent e, List<CorrelationContribution> output)
    {
        ArgumentNullException.ThrowIfNull(rule);
        Route(rule.Id, rule.Name, rule.Logsource, e, output);
    }

    /// <summary>Like <see cref="OnMatch(string?, string?, SigmaLogsource?, LogEvent, List{CorrelationAlert})"/>, without counting anything here.</summary>
    public void Route(string? ruleId, string? ruleName, SigmaLogsource? logsource, LogEvent e, List<CorrelationContribution> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(output);
        ForgetKeptCopy();
        var (byId, byName) = ReferencesTo(ruleId, ruleName);
        foreach (var target in byId ?? [])
        {
            output.Add(Contribution(target.State, target.RuleIndex, target.Reference, ruleId, ruleName, logsource, e));
        }
        foreach (var target in byName ?? [])
        {
            // A correlation naming the same rule by id and by name counts it once.
            if (byId is null || !byId.Exists(t => t.State == target.State && t.RuleIndex == target.RuleIndex))
            {
                output.Add(Contribution(target.State, target.RuleIndex, target.Reference, ruleId, ruleName, logsource, e));
            }
        }
    }

    /// <summary>
    /// Counts a contribution into its window; alerts that fire are appended to <paramref name="output"/>. Returns false
    /// (and counts nothing) when no loaded correlation has the contribution's rule key — rules differ between engines.
    /// </summary>
    public bool Apply(CorrelationContribution contribution, List<CorrelationAlert> output)
    {
        ArgumentNullException.ThrowIfNull(contribution);
        ArgumentNullException.ThrowIfNull(output);
        _byKey ??= _rules.ToDictionary(r => r.Rule.Key, StringComparer.Ordinal);
        if (!_byKey.TryGetValue(contribution.RuleKey, out var state)
            || contribution.GroupValues.Count != state.Rule.GroupBy.Count
            || contribution.RuleIndex < 0 || contribution.RuleIndex >= state.Rule.Rules.Count)
        {
            return false;
        }
        Feed(state, contribution.RuleIndex, contribution.Time, contribution.RecordId, [.. contribution.GroupValues], contribution.Key,
            contribution.Number, [.. contribution.RecordIds], Kept(contribution.Events, state.KeptFields), checkLate: !contribution.Chained, output);
        Advance(contribution.Time, output);
        return true;
    }

    /// <summary>With <see cref="CorrelationOptions.RouteChainedMatches"/>: moves the matches chained correlations produced since the last call to <paramref name="output"/>.</summary>
    public void TakeChained(List<CorrelationContribution> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.AddRange(_routedChained);
        _routedChained.Clear();
    }

    private CorrelationContribution Contribution(CorrelationRuleState state, int ruleIndex, string reference, string? ruleId, string? ruleName,
        SigmaLogsource? logsource, LogEvent e)
    {
        var (values, key, number) = Resolve(state.Rule, field => LookupField(state.Rule, field, reference, ruleId, ruleName, logsource, e));
        return new CorrelationContribution
        {
            RuleKey = state.Rule.Key, RuleIndex = ruleIndex, Time = e.Timestamp, RecordId = e.RecordId, GroupValues = values,
            Key = key, Number = number, RecordIds = [e.RecordId], Events = [KeptOnce(e, state.KeptFields)],
        };
    }
}
