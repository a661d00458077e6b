using Siem.Rules.Detection;

namespace Siem.Rules;

/// <summary>One parsed Sigma detection rule (metadata plus its detection, ready to compile).</summary>
public sealed class SigmaRule
{
    internal SigmaRule(string id, string title, SigmaLogsource logsource, string sourcePath, int line, SigmaDetection detection)
    {
        Id = id;
        Title = title;
        Logsource = logsource;
        SourcePath = sourcePath;
        Line = line;
        Detection = detection;
    }

    /// <summary>The rule's <c>id</c>; when the rule has none, a stable stand-in "path#document".</summary>
    public string Id { get; }

    /// <summary>The optional unique <c>name</c> correlation rules may reference instead of the id.</summary>
    public string? Name { get; init; }

    public string Title { get; }

    /// <summary><c>informational</c>, <c>low</c>, <c>medium</c>, <c>high</c>, <c>critical</c>; empty when absent.</summary>
    public string Level { get; init; } = "";

    public string Status { get; init; } = "";

    public string? Description { get; init; }

    public IReadOnlyList<string> Tags { get; init; } = [];

    public SigmaLogsource Logsource { get; }

    public string SourcePath { get; }

    /// <summary>1-based line where the rule's YAML document starts.</summary>
    public int Line { get; }

    public IReadOnlyList<string> Fields { get; init; } = [];

    public IReadOnlyList<string> FalsePositives { get; init; } = [];

    /// <summary>The rule's <c>author</c>.</summary>
    public string? Author { get; init; }

    internal SigmaDetection Detection { get; }

    public override string ToString() => $"{Title} ({Id})";
}
