using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// Erasure of a data subject from the open windows (purges): what a window holds of a match is its record ids, its
/// group-by values, its condition value and the few event fields it keeps, so those are what is searched.
/// </summary>
public sealed partial class CorrelationEngine
{
    /// <summary>
    /// Removes every open match that stands for one of <paramref name="recordIds"/>, or whose group-by values,
    /// condition value or kept event fields equal one of <paramref name="values"/> (a subject's identifiers); a group
    /// whose group-by values hold one goes whole. Their dedupe keys go too, and emptied groups are dropped. Returns the
    /// number of matches removed. Alerts already raised are not touched (they are the index's to redact).
    /// </summary>
    public int Forget(IReadOnlySet<string> recordIds, IReadOnlySet<string> values)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        ArgumentNullException.ThrowIfNull(values);
        var removed = 0;
        foreach (var state in _rules)
        {
            foreach (var group in state.Groups.Values.ToList())
            {
                var wholeGroup = group.Values.Any(v => v is not null && values.Contains(v));
                var gone = new HashSet<string>(StringComparer.Ordinal);
                removed += group.Entries.RemoveAll(entry =>
                {
                    if (!wholeGroup && !Holds(entry, recordIds, values))
                    {
                        return false;
                    }
                    gone.Add(entry.RecordId);
                    return true;
                });
                foreach (var key in group.Seen.Keys.Where(k => wholeGroup || gone.Contains(k.RecordId) || recordIds.Contains(k.RecordId)).ToList())
                {
                    group.Seen.Remove(key);
                }
                if (group.Entries.Count == 0 && (wholeGroup || group.Seen.Count == 0))
                {
                    RemoveGroup(state, group);
                }
            }
        }
        return removed;
    }

    private static bool Holds(CorrelationEntry entry, IReadOnlySet<string> recordIds, IReadOnlySet<string> values)
    {
        if (recordIds.Contains(entry.RecordId) || entry.RecordIds.Any(recordIds.Contains))
        {
            return true;
        }
        if (entry.Key is { } key && key.Split('\u001f').Any(values.Contains))
        {
            return true;
        }
        foreach (var e in entry.Events)
        {
            if (recordIds.Contains(e.RecordId) || HoldsValue(e, values))
            {
                return true;
            }
        }
        return false;
    }

    private static bool HoldsValue(LogEvent e, IReadOnlySet<string> values)
    {
        foreach (var value in e.Fields.Values)
        {
            if (value is string s ? values.Contains(s) : ((string[])value).Any(values.Contains))
            {
                return true;
            }
        }
        return false;
    }
}
