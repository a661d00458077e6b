namespace Siem.Rules;

/// <summary>Everything loaded from a set of files: rules, correlations, filters, and the per-document errors.</summary>
public sealed class RuleSet
{
    public RuleSet(IReadOnlyList<SigmaRule> rules, IReadOnlyList<object> correlations, IReadOnlyList<SigmaFilter> filters,
        IReadOnlyList<RuleLoadError> errors, int totalDocuments)
    {
        Rules = rules;
        Correlations = correlations;
        Filters = filters;
        Errors = errors;
        TotalDocuments = totalDocuments;
    }

    public IReadOnlyList<SigmaRule> Rules { get; }

    /// <summary><c>Siem.Rules.Correlation.CorrelationRule</c> objects (typed as object so loading does not depend on them).</summary>
    public IReadOnlyList<object> Correlations { get; }

    public IReadOnlyList<SigmaFilter> Filters { get; }

    public IReadOnlyList<RuleLoadError> Errors { get; }

    /// <summary>YAML documents seen (rules + correlations + filters + failed documents; a file that does not parse counts once).</summary>
    public int TotalDocuments { get; }
}
