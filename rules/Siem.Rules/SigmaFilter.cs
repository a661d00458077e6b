using Siem.Rules.Detection;

namespace Siem.Rules;

/// <summary>
/// A Sigma global filter (filters specification 2.1): for each rule it names (by id or name), events matching the
/// filter's condition are excluded — the rule's condition becomes <c>(condition) and not (filter condition)</c>.
/// </summary>
public sealed class SigmaFilter
{
    internal SigmaFilter(string? id, string title, SigmaLogsource logsource, IReadOnlyList<string> rules, string sourcePath, int line, SigmaDetection detection)
    {
        Id = id;
        Title = title;
        Logsource = logsource;
        Rules = rules;
        SourcePath = sourcePath;
        Line = line;
        Detection = detection;
    }

    public string? Id { get; }

    public string Title { get; }

    public SigmaLogsource Logsource { get; }

    /// <summary>Ids or names of the rules this filter applies to.</summary>
    public IReadOnlyList<string> Rules { get; }

    public string SourcePath { get; }

    public int Line { get; }

    internal SigmaDetection Detection { get; }
}
