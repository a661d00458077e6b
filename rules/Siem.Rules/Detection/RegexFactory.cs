using System.Text.RegularExpressions;

namespace Siem.Rules.Detection;

/// <summary>
/// Builds rule regexes so no analyst's pattern can hang the engine: NonBacktracking (linear time) when the engine
/// accepts the pattern, otherwise the backtracking engine with a match timeout.
/// </summary>
internal static class RegexFactory
{
    public static TimeSpan Timeout { get; } = TimeSpan.FromMilliseconds(100);

    public static Regex Create(string pattern, RegexOptions options, int line, int column)
    {
        var baseOptions = options | RegexOptions.CultureInvariant;
        try
        {
            return new Regex(pattern, baseOptions | RegexOptions.NonBacktracking, Timeout);
        }
        catch (NotSupportedException)
        {
            // Backreferences, lookarounds, atomic groups: NonBacktracking rejects them; fall back with a timeout.
        }
        catch (ArgumentException ex)
        {
            throw new RuleParseException($"invalid regular expression '{pattern}': {ex.Message}", line, column);
        }
        try
        {
            return new Regex(pattern, baseOptions, Timeout);
        }
        catch (ArgumentException ex)
        {
            throw new RuleParseException($"invalid regular expression '{pattern}': {ex.Message}", line, column);
        }
    }
}
