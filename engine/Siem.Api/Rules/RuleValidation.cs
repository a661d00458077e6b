using Siem.Rules;

namespace Siem.Api.Rules;

/// <summary>What uploaded YAML holds: the loaded set, every error (load and compile), the rule/correlation ids in order.</summary>
public sealed record RuleValidation(RuleSet Set, IReadOnlyList<RuleLoadError> Errors, IReadOnlyList<string> Ids)
{
    public bool IsValid => Errors.Count == 0;
}
