using System.Globalization;
using System.Runtime.InteropServices;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Rules.Correlation;

public sealed partial class CorrelationEngine
{
    private void Feed(CorrelationRuleState state, int ruleIndex, Instant time, string recordId, Func<string, string?> lookup,
        string[] recordIds, LogEvent[] events, bool checkLate, List<CorrelationAlert> output)
    {
        var (values, key, number) = Resolve(state.Rule, lookup);
        Feed(state, ruleIndex, time, recordId, values, key, number, recordIds, events, checkLate, output);
    }

    /// <summary>The group-by values and the condition field (joined, and as a number) of one match.</summary>
    private static (string?[] Values, string? Key, double Number) Resolve(CorrelationRule rule, Func<string, string?> lookup)
    {
        var values = new string?[rule.GroupBy.Count];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = lookup(rule.GroupBy[i]);
        }
        string? key = null;
        var number = double.NaN;
        if (rule.Condition.Fields.Count > 0)
        {
            var parts = rule.Condition.Fields.Select(lookup).ToArray();
            if (parts.All(p => p is not null))
            {
                key = string.Join('\u001f', parts);
                if (parts.Length == 1 && double.TryParse(parts[0], NumberStyles.Float, CultureInfo.InvariantCulture, out var n))
                {
                    number = n;
                }
            }
        }
        return (values, key, number);
    }

    private void Feed(CorrelationRuleState state, int ruleIndex, Instant time, string recordId, string?[] values, string? key, double number,
        string[] recordIds, LogEvent[] events, bool checkLate, List<CorrelationAlert> output)
    {
        var horizon = _watermark == Instant.MinValue ? Instant.MinValue : _watermark - _options.AllowedLateness;
        if (checkLate && time < horizon)
        {
            state.Stats.LateDropped++;
            return;
        }

        var group = GetOrAddGroup(state, values);
        ref var seenAt = ref CollectionsMarshal.GetValueRefOrAddDefault(group.Seen, (recordId, state.CountsPerRule ? ruleIndex : -1), out var seen);
        if (seen)
        {
            state.Stats.Duplicates++;
            return;
        }
        seenAt = time;

        var entry = new CorrelationEntry { Time = time, RecordId = recordId, RuleIndex = ruleIndex, Key = key, Number = number, RecordIds = recordIds, Events = events };
        if (group.Entries.Count >= _options.MaxEventsPerGroup)
        {
            group.Entries.RemoveAt(0);
            state.Stats.EventsEvicted++;
        }
        group.Insert(entry);
        state.Stats.Accepted++;

        if (state.FiresEarly)
        {
            FireEarly(state, group, entry, output);
        }
        CloseDueWindows(state, group, horizon, output, forgetSeen: false);
    }

    private CorrelationGroup GetOrAddGroup(CorrelationRuleState state, string?[] values)
    {
        var key = values.Length == 1 ? values[0] ?? "\u0000" : string.Join('\u001f', values.Select(v => v ?? "\u0000"));
        if (state.Groups.TryGetValue(key, out var group))
        {
            state.Lru.Remove(group.LruNode!);
            state.Lru.AddLast(group.LruNode!);
            return group;
        }
        if (state.Groups.Count >= _options.MaxGroupsPerRule && state.Lru.First is { } oldest)
        {
            RemoveGroup(state, oldest.Value);
            state.Stats.GroupsEvicted++;
        }
        group = new CorrelationGroup(key, values);
        group.LruNode = state.Lru.AddLast(group);
        state.Groups[key] = group;
        return group;
    }

    private static void RemoveGroup(CorrelationRuleState state, CorrelationGroup group)
    {
        state.Groups.Remove(group.Key);
        state.Lru.Remove(group.LruNode!);
    }

    /// <summary>Checks the windows [s, s + timespan] that contain the new match; fires on the earliest that satisfies.</summary>
    private void FireEarly(CorrelationRuleState state, CorrelationGroup group, CorrelationEntry added, List<CorrelationAlert> output)
    {
        var entries = group.Entries;
        var span = state.Rule.Timespan;
        var newest = entries[^1].Time == added.Time;
        for (var i = 0; i < entries.Count && entries[i].Time <= added.Time; i++)
        {
            if (entries[i].Time < added.Time - span)
            {
                continue;
            }
            var end = i;
            while (end + 1 < entries.Count && entries[end + 1].Time <= entries[i].Time + span)
            {
                end++;
            }
            var value = Aggregate(state.Rule, entries, i, end);
            if (state.Rule.Condition.IsSatisfiedBy(value))
            {
                var window = entries.GetRange(i, end - i + 1);
                entries.RemoveRange(i, end - i + 1);
                Fire(state, group, window, value, null, output);
                return;
            }
            if (newest)
            {
                // In order: the first window is a superset of every later one, and the aggregate never
                // decreases when a match is added, so no later window can satisfy the condition.
                return;
            }
        }
    }

    /// <summary>Decides the windows anchored at the oldest open match whose end is before <paramref name="closeBefore"/>.</summary>
    private void CloseDueWindows(CorrelationRuleState state, CorrelationGroup group, Instant closeBefore, List<CorrelationAlert> output, bool forgetSeen = true)
    {
        var entries = group.Entries;
        var span = state.Rule.Timespan;
        if (state.FiresEarly)
        {
            // Nothing to decide at close: matches too old to share a window with any future match just go.
            var cut = 0;
            while (cut < entries.Count && closeBefore != Instant.MaxValue && entries[cut].Time + span < closeBefore)
            {
                cut++;
            }
            entries.RemoveRange(0, closeBefore == Instant.MaxValue ? entries.Count : cut);
        }
        else
        {
            while (entries.Count > 0 && (closeBefore == Instant.MaxValue || entries[0].Time + span < closeBefore))
            {
                var end = 0;
                while (end + 1 < entries.Count && entries[end + 1].Time <= entries[0].Time + span)
                {
                    end++;
                }
                var window = entries.GetRange(0, end + 1);
                entries.RemoveRange(0, end + 1);
                if (state.Rule.Type == CorrelationType.ValuePercentile)
                {
                    FirePercentiles(state, group, window, output);
                }
                else
                {
                    var value = Aggregate(state.Rule, window, 0, window.Count - 1);
                    if (state.Rule.Condition.IsSatisfiedBy(value))
                    {
                        Fire(state, group, window, value, null, output);
                    }
                }
            }
        }

        if (!forgetSeen)
        {
            return;
        }
        ForgetStaleSeen(group, closeBefore);
        if (entries.Count == 0 && group.Seen.Count == 0 && state.Groups.ContainsKey(group.Key))
        {
            RemoveGroup(state, group);
        }
    }

    /// <summary>
    /// A redelivery older than the horizon is dropped as late anyway, so its dedupe key can go (unless its match is
    /// still in an open window). Runs for every group at every sweep, so it reuses scratch sets instead of allocating.
    /// </summary>
    private void ForgetStaleSeen(CorrelationGroup group, Instant closeBefore)
    {
        var stale = _staleSeen;
        stale.Clear();
        foreach (var (seenKey, at) in group.Seen)
        {
            if (closeBefore == Instant.MaxValue || at < closeBefore)
            {
                stale.Add(seenKey);
            }
        }
        if (stale.Count == 0)
        {
            return;
        }
        var live = _liveRecordIds;
        live.Clear();
        foreach (var entry in group.Entries)
        {
            live.Add(entry.RecordId);
        }
        foreach (var seenKey in stale)
        {
            if (!live.Contains(seenKey.RecordId))
            {
                group.Seen.Remove(seenKey);
            }
        }
        stale.Clear();
        live.Clear();
    }

    private readonly List<(string RecordId, int RuleIndex)> _staleSeen = [];
    private readonly HashSet<string> _liveRecordIds = new(StringComparer.Ordinal);

    private void Sweep(Instant closeBefore, List<CorrelationAlert> output)
    {
        var groups = _sweptGroups;
        foreach (var state in _rules)
        {
            // A copy: closing a window may remove its group (and a chained alert may add groups to a parent).
            groups.Clear();
            groups.AddRange(state.Groups.Values);
            foreach (var group in groups)
            {
                CloseDueWindows(state, group, closeBefore, output);
            }
        }
        groups.Clear();
    }

    private readonly List<CorrelationGroup> _sweptGroups = [];

    private void FirePercentiles(CorrelationRuleState state, CorrelationGroup group, List<CorrelationEntry> window, List<CorrelationAlert> output)
    {
        var keyed = window.Where(e => e.Key is not null).ToList();
        if (keyed.Count == 0)
        {
            return;
        }
        foreach (var byKey in keyed.GroupBy(e => e.Key!, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var share = 100.0 * byKey.Count() / keyed.Count;
            if (state.Rule.Condition.IsSatisfiedBy(share))
            {
                Fire(state, group, byKey.ToList(), share, byKey.Key, output);
            }
        }
    }

    internal static double Aggregate(CorrelationRule rule, List<CorrelationEntry> entries, int from, int to)
    {
        switch (rule.Type)
        {
            case CorrelationType.EventCount:
                return to - from + 1;
            case CorrelationType.ValueCount:
                var distinct = new HashSet<string>(StringComparer.Ordinal);
                for (var i = from; i <= to; i++)
                {
                    if (entries[i].Key is { } k)
                    {
                        distinct.Add(k);
                    }
                }
                return distinct.Count;
            case CorrelationType.Temporal:
                var rules = new HashSet<int>();
                for (var i = from; i <= to; i++)
                {
                    rules.Add(entries[i].RuleIndex);
                }
                return rules.Count;
            case CorrelationType.TemporalOrdered:
                // Greedy earliest match of rules[0], rules[1], ... in event-time order.
                var next = 0;
                for (var i = from; i <= to && next < rule.Rules.Count; i++)
                {
                    if (entries[i].RuleIndex == next)
                    {
                        next++;
                    }
                }
                return next;
            case CorrelationType.ValueSum:
            case CorrelationType.ValueAvg:
                double sum = 0;
                var n = 0;
                for (var i = from; i <= to; i++)
                {
                    if (!double.IsNaN(entries[i].Number))
                    {
                        sum += entries[i].Number;
                        n++;
                    }
                }
                return rule.Type == CorrelationType.ValueSum ? sum : n == 0 ? double.NaN : sum / n;
            default:
                return double.NaN;
        }
    }

    private void Fire(CorrelationRuleState state, CorrelationGroup group, List<CorrelationEntry> window, double value, string? valueKey, List<CorrelationAlert> output)
    {
        var recordIds = new List<string>();
        var events = new List<LogEvent>();
        foreach (var entry in window)
        {
            recordIds.AddRange(entry.RecordIds);
            foreach (var e in entry.Events)
            {
                if (events.Count < _options.MaxEventsPerAlert)
                {
                    events.Add(e);
                }
            }
        }
        var groupBy = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (var i = 0; i < state.Rule.GroupBy.Count; i++)
        {
            groupBy[state.Rule.GroupBy[i]] = group.Values[i];
        }
        var alert = new CorrelationAlert
        {
            Rule = state.Rule,
            GroupBy = groupBy,
            First = window.Min(e => e.Time),
            Last = window.Max(e => e.Time),
            Count = window.Count,
            Value = value,
            ValueKey = valueKey,
            RecordIds = recordIds.Distinct(StringComparer.Ordinal).ToList(),
            Events = events,
        };
        state.Stats.Alerts++;
        state.AlertSequence++;
        if (state.Emit)
        {
            output.Add(alert);
        }

        // Deterministic (rule, group, first record of the window): the same alert gets the same id on every engine
        // that replays the same matches, so a parent window counts it once wherever and however often it is computed.
        var syntheticId = $"correlation:{state.Rule.Key}:{group.Key}:{window[0].RecordId}";
        string? Lookup(string field) => alert.GroupBy.TryGetValue(field, out var v) ? v : alert.Events.Count > 0 ? alert.Events[0].Get(field) : null;
        foreach (var (parent, ruleIndex, reference) in state.Parents)
        {
            string? ParentLookup(string field) => Lookup(ResolveAlias(parent.Rule, field, reference, state.Rule.Id, state.Rule.Name));
            var ids = alert.RecordIds.ToArray();
            var evs = alert.Events.ToArray();
            var (values, key, number) = Resolve(parent.Rule, ParentLookup);
            if (_options.RouteChainedMatches)
            {
                // The parent's group may live in another partition: hand the match to the caller to route.
                _routedChained.Add(new CorrelationContribution
                {
                    RuleKey = parent.Rule.Key, RuleIndex = ruleIndex, Time = alert.Last, RecordId = syntheticId, GroupValues = values,
                    Key = key, Number = number, RecordIds = ids, Events = evs, Chained = true,
                });
                continue;
            }
            // Chained alerts are not subject to lateness: a window closed by the watermark is old by construction.
            Feed(parent, ruleIndex, alert.Last, syntheticId, values, key, number, ids, evs, checkLate: false, output);
        }
    }
}
