using Siem.Core.Events;

namespace Siem.Api.Rules;

/// <summary>The events read from the samples, lines that could not be read, detection matches and correlations fired.</summary>
public sealed record RuleSampleResult(IReadOnlyList<LogEvent> Events, IReadOnlyList<string> Problems,
    IReadOnlyList<RuleSampleMatch> Matches, IReadOnlyList<RuleSampleCorrelation> Correlations);
