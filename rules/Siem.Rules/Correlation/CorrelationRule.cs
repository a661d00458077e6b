using NodaTime;

namespace Siem.Rules.Correlation;

/// <summary>A parsed Sigma correlation rule (a YAML document with a <c>correlation:</c> section).</summary>
public sealed class CorrelationRule
{
    public required string Title { get; init; }

    public string? Id { get; init; }

    /// <summary>The optional per-rule-set unique <c>name</c> other correlations may refer to.</summary>
    public string? Name { get; init; }

    /// <summary>Severity of the alert; <c>medium</c> when the rule gives none.</summary>
    public string Level { get; init; } = "medium";

    public string Status { get; init; } = "";

    public string? Description { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public required CorrelationType Type { get; init; }

    /// <summary>Referenced Sigma rules or correlations, by <c>id</c> or <c>name</c>, in the order given (it matters for temporal_ordered).</summary>
    public required IReadOnlyList<string> Rules { get; init; }

    public IReadOnlyList<string> GroupBy { get; init; } = [];

    public required Duration Timespan { get; init; }

    /// <summary>alias → (referenced rule name or id → field in that rule's events).</summary>
    public IReadOnlyDictionary<string, IReadOnlyDictionary<string, string>> Aliases { get; init; } =
        new Dictionary<string, IReadOnlyDictionary<string, string>>();

    public required CorrelationCondition Condition { get; init; }

    /// <summary>When true the referenced rules also produce their own stand-alone matches (spec default: false).</summary>
    public bool Generate { get; init; }

    public string SourcePath { get; init; } = "";

    public int Line { get; init; }

    /// <summary>Stable key used for state, snapshots and messages: the id, else the name, else file:line.</summary>
    public string Key => Id ?? Name ?? $"{SourcePath}:{Line}";

    public override string ToString() => $"{Title} ({Key})";
}
