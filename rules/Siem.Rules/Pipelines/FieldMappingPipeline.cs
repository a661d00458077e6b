using System.Collections.Concurrent;
using Siem.Core.Events;

namespace Siem.Rules.Pipelines;

/// <summary>
/// A field-mapping pipeline (the idea of pySigma's processing pipelines, simplified): an ordered list of
/// <see cref="PipelineTransformation"/>s selected by the rule's logsource. For a Sigma field, the first applicable
/// transformation that maps it wins; a field nobody maps passes through unchanged (so Windows native fields such
/// as <c>Image</c> or <c>EventID</c> match as they are). Event conditions of every applicable transformation must hold.
/// See <c>rules/packs/pipelines/default.yml</c> for the file format.
/// </summary>
public sealed partial class FieldMappingPipeline : IFieldMapper
{
    public FieldMappingPipeline(string name, IReadOnlyList<PipelineTransformation> transformations, string sourcePath = "")
    {
        Name = name;
        Transformations = transformations;
        SourcePath = sourcePath;
    }

    /// <summary>A pipeline that maps nothing and requires nothing.</summary>
    public static FieldMappingPipeline Empty { get; } = new("empty", []);

    public string Name { get; }

    public string SourcePath { get; }

    public IReadOnlyList<PipelineTransformation> Transformations { get; }

    private readonly ConcurrentDictionary<SigmaLogsource, KeyValuePair<string, IReadOnlyList<string>>[]> _conditions = new();

    public IReadOnlyList<string> Map(SigmaLogsource logsource, string sigmaField)
    {
        ArgumentNullException.ThrowIfNull(logsource);
        foreach (var t in Transformations)
        {
            if (t.AppliesTo(logsource) && t.FieldMappings.TryGetValue(sigmaField, out var targets))
            {
                return targets;
            }
        }
        return [sigmaField];
    }

    /// <summary>The event conditions a rule with this logsource adds (from every applicable transformation).</summary>
    public IReadOnlyList<KeyValuePair<string, IReadOnlyList<string>>> EventConditions(SigmaLogsource logsource)
    {
        ArgumentNullException.ThrowIfNull(logsource);
        return _conditions.GetOrAdd(logsource, ls => Transformations.Where(t => t.AppliesTo(ls)).SelectMany(t => t.EventConditions).ToArray());
    }

    /// <summary>
    /// True when the event satisfies the event conditions of the rule's logsource, i.e. the event may be judged by
    /// that rule at all (a sshd keyword rule must not fire on a cron line that happens to contain the keyword).
    /// </summary>
    public bool Accepts(SigmaLogsource logsource, LogEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        foreach (var (field, accepted) in EventConditions(logsource))
        {
            var value = e.Get(field);
            if (value is null || !accepted.Any(a => string.Equals(a, value, StringComparison.OrdinalIgnoreCase)))
            {
                return false;
            }
        }
        return true;
    }
}
