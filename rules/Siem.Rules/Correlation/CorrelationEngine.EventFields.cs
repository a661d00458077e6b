using Siem.Core.Events;

namespace Siem.Rules.Correlation;

/// <summary>
/// What an open window keeps of each matched event (<see cref="CorrelationOptions.KeptEventFields"/>): a copy with the
/// fields an alert shows and the fields chained correlations read from it, without the original line. Whole events made
/// the state (and every snapshot of it) hundreds of bytes per match larger than anything an alert ever uses.
/// </summary>
public sealed partial class CorrelationEngine
{
    /// <summary>The fields kept for a correlation's matches: the configured ones plus every field its ancestors look up.</summary>
    private static HashSet<string>? KeptFieldsFor(CorrelationRuleState state, IReadOnlyCollection<string>? configured, ref HashSet<string>? configuredShared)
    {
        if (configured is null)
        {
            return null;
        }
        var fields = new HashSet<string>(configured, StringComparer.Ordinal);
        AddAncestorLookups(state, fields);
        // Correlations that keep the same fields share one set, so one match feeding several of them is copied once.
        return fields.SetEquals(configured) ? configuredShared ??= fields : fields;
    }

    /// <summary>A parent reads its group-by and condition fields from a child alert's first event (see <c>Fire</c>), and so on up the chain.</summary>
    private static void AddAncestorLookups(CorrelationRuleState state, HashSet<string> fields)
    {
        foreach (var (parent, _, reference) in state.Parents)
        {
            foreach (var field in parent.Rule.GroupBy.Concat(parent.Rule.Condition.Fields))
            {
                fields.Add(ResolveAlias(parent.Rule, field, reference, state.Rule.Id, state.Rule.Name));
            }
            AddAncestorLookups(parent, fields);
        }
    }

    /// <summary>The event as a window keeps it: itself when whole events are kept, else a copy with the kept fields only.</summary>
    private static LogEvent Kept(LogEvent e, HashSet<string>? kept)
    {
        if (kept is null)
        {
            return e;
        }
        var copy = new LogEvent { RecordId = e.RecordId, AgentId = e.AgentId, Timestamp = e.Timestamp };
        foreach (var name in kept)
        {
            // Values are strings or string[]s that LogEvent replaces rather than mutates, so sharing them is safe.
            if (e.Fields.TryGetValue(name, out var value))
            {
                copy.Fields[name] = value;
            }
        }
        return copy;
    }

    /// <summary>
    /// <see cref="Kept(LogEvent, HashSet{string}?)"/>, reusing the copy just made of the same event for the same fields: a
    /// match usually feeds several correlations. Callers reset the memo (<see cref="ForgetKeptCopy"/>) per call, as the
    /// caller may change an event between calls.
    /// </summary>
    private LogEvent KeptOnce(LogEvent e, HashSet<string>? kept)
    {
        if (!ReferenceEquals(_keptSource, e) || !ReferenceEquals(_keptFor, kept))
        {
            _keptCopy = Kept(e, kept);
            _keptSource = e;
            _keptFor = kept;
        }
        return _keptCopy!;
    }

    internal void ForgetKeptCopy() => (_keptSource, _keptFor, _keptCopy) = (null, null, null);

    private LogEvent? _keptSource;
    private HashSet<string>? _keptFor;
    private LogEvent? _keptCopy;

    private static LogEvent[] Kept(IReadOnlyList<LogEvent> events, HashSet<string>? kept)
    {
        var copies = new LogEvent[events.Count];
        for (var i = 0; i < copies.Length; i++)
        {
            copies[i] = Kept(events[i], kept);
        }
        return copies;
    }
}
