namespace Siem.Rules.Detection;

/// <summary>The parsed <c>detection</c> section: named search identifiers and the condition over them.</summary>
internal sealed class SigmaDetection(IReadOnlyDictionary<string, SearchIdentifier> identifiers, ConditionNode condition)
{
    public IReadOnlyDictionary<string, SearchIdentifier> Identifiers { get; } = identifiers;

    public ConditionNode Condition { get; } = condition;
}

/// <summary>A search identifier: OR over groups, each group an AND of items (a map is one group; a list of maps many).</summary>
internal sealed class SearchIdentifier(string name, IReadOnlyList<IReadOnlyList<DetectionItem>> groups)
{
    public string Name { get; } = name;

    public IReadOnlyList<IReadOnlyList<DetectionItem>> Groups { get; } = groups;
}

/// <summary>Extracts a number from a date value before comparing (time modifiers).</summary>
internal enum TimePart
{
    None,
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

/// <summary>
/// One <c>field|modifiers: values</c> entry. <see cref="Field"/> is null for keywords (field-less values, searched in
/// every string field). Values are OR-linked, or AND-linked with <c>|all</c>; <c>|neq</c> negates the whole item.
/// </summary>
internal sealed class DetectionItem(string? field, IReadOnlyList<ValueSpec> values, bool all, bool negate, TimePart timePart, int line, int column)
{
    public string? Field { get; } = field;

    public IReadOnlyList<ValueSpec> Values { get; } = values;

    public bool All { get; } = all;

    public bool Negate { get; } = negate;

    public TimePart TimePart { get; } = timePart;

    public int Line { get; } = line;

    public int Column { get; } = column;
}
