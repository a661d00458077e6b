using Siem.Rules;

namespace Siem.Api.Rules;

/// <summary>The outcome of an upload: the stored rule, or the errors that refused it.</summary>
public sealed record RuleSaveResult(RuleSaveOutcome Outcome, RuleInfo? Rule, IReadOnlyList<RuleLoadError> Errors);
