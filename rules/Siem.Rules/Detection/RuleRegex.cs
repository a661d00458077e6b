using System.Text.RegularExpressions;

namespace Siem.Rules.Detection;

/// <summary>
/// A rule's regex, built so no analyst's pattern can hang the engine: NonBacktracking (linear time) when that
/// engine accepts the pattern, otherwise the backtracking engine with a match timeout. The syntax is checked when
/// the rule loads (cheap); the NonBacktracking automaton, which is costly to build (tens of ms), is built on first use.
/// </summary>
internal sealed class RuleRegex
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromMilliseconds(100);

    private readonly Lazy<Regex> _regex;

    private RuleRegex(string pattern, RegexOptions options)
    {
        Pattern = pattern;
        _regex = new Lazy<Regex>(() => Build(pattern, options), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Pattern { get; }

    public Regex Regex => _regex.Value;

    public static RuleRegex Create(string pattern, RegexOptions options, int line, int column)
    {
        try
        {
            // Parses (and so validates) without building an automaton.
            _ = new Regex(pattern, options | RegexOptions.CultureInvariant, Timeout);
        }
        catch (ArgumentException ex)
        {
            throw new RuleParseException($"invalid regular expression '{pattern}': {ex.Message}", line, column);
        }
        return new RuleRegex(pattern, options | RegexOptions.CultureInvariant);
    }

    internal static Regex Build(string pattern, RegexOptions options)
    {
        try
        {
            return new Regex(pattern, options | RegexOptions.NonBacktracking, Timeout);
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds, atomic groups: NonBacktracking rejects them; fall back with a timeout.
            return new Regex(pattern, options, Timeout);
        }
    }

    public override string ToString() => Pattern;
}
