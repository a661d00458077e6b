using Siem.Core.Events;

namespace Siem.Api.Rules;

/// <summary>One pasted event (1-based position among the events read) and the detection rules it matched.</summary>
public sealed record RuleSampleMatch(int EventNumber, LogEvent Event, IReadOnlyList<string> RuleIds);
