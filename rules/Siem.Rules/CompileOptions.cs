namespace Siem.Rules;

/// <summary>Options for <see cref="CompiledRuleSet.Compile"/>.</summary>
public sealed record CompileOptions
{
    public static CompileOptions Default { get; } = new();

    /// <summary>Values for <c>|expand</c> placeholders (<c>%Servers%</c> → list). A rule using an undefined placeholder is rejected as unsupported.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<string>> Placeholders { get; init; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Match timeout of a single regex evaluation; a timeout counts as no match and is counted. Default 100 ms.</summary>
    public TimeSpan RegexTimeout { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// An OR-list with at least this many contains (or startswith, endswith, exact) values is matched in one step:
    /// a multi-string search (Teddy/Aho–Corasick via SearchValues) or hash lookups. Default 4.
    /// </summary>
    public int MultiStringThreshold { get; init; } = 4;

    /// <summary>When false every rule is evaluated for every event (no logsource index); for diagnosis. Default true.</summary>
    public bool IndexByLogsource { get; init; } = true;
}
