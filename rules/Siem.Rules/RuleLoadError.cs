namespace Siem.Rules;

/// <summary>
/// Why one rule (or one file) could not be loaded or compiled: file, 1-based line and column, the rule id when
/// known, and a message naming the field. <paramref name="Unsupported"/> marks valid Sigma this engine does not
/// implement (as opposed to a broken rule).
/// </summary>
public sealed record RuleLoadError(string Path, int Line, int Column, string? RuleId, string Message, bool Unsupported)
{
    public override string ToString() =>
        $"{Path}:{Line}:{Column}: {(Unsupported ? "unsupported: " : "")}{Message}{(RuleId is null ? "" : $" (rule {RuleId})")}";
}
