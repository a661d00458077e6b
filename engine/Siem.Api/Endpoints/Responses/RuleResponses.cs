using Siem.Api.Rules;

namespace Siem.Api.Endpoints.Responses;

internal sealed record RuleList(IReadOnlyList<RuleInfo> Rules, IEnumerable<RuleErrorView> Problems);

internal sealed record RuleDetail(RuleInfo Rule, string Yaml);

internal sealed record RuleSaved(RuleInfo Rule);

internal sealed record RuleEnabledState(string Id, bool Enabled);

/// <summary>A load or compile error: line and column in the YAML, the rule, and the whole message as text.</summary>
internal sealed record RuleErrorView(int Line, int Column, string? RuleId, string Message, bool Unsupported, string Text);

internal sealed record RuleValidationResult(bool Valid, IReadOnlyList<string> Ids, IEnumerable<RuleErrorView> Errors);

/// <summary>A rule that was not stored: <c>invalid_rule</c> (422), <c>conflict</c> (409) or <c>not_found</c> (404), with why.</summary>
internal sealed record RuleRejection(string Error, IEnumerable<RuleErrorView> Errors);

/// <summary>Pasted events run through rules: what was read, what could not be, which events matched which rules.</summary>
internal sealed record RuleTestResult(int EventsRead, IReadOnlyList<string> Problems, IEnumerable<RuleTestMatch> Matches,
    IReadOnlyList<RuleSampleCorrelation> Correlations, IEnumerable<EventView> Events);

/// <summary>A pasted event (1-based <c>event</c>) and the rules it matched.</summary>
internal sealed record RuleTestMatch(int Event, string RecordId, string Original, IEnumerable<RuleRef> Rules);

internal sealed record RuleRef(string Id, string Title);

internal sealed record ReplayOutcome(long Events, int Alerts, IReadOnlyDictionary<string, int> AlertsByRule);
