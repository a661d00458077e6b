using Siem.Rules.Detection;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules;

/// <summary>Turning one YAML map into a <see cref="SigmaRule"/> or <see cref="SigmaFilter"/>.</summary>
public static partial class RuleLoader
{
    private static readonly HashSet<string> _filterKeys = new(StringComparer.Ordinal) { "rules" };

    private static SigmaRule ParseRule(YamlMappingNode root, string path, int index)
    {
        var title = ScalarOf(root, "title") ?? throw Missing(root, "title");
        var logsource = ParseLogsource(root);
        var detectionNode = Child(root, "detection") ?? throw Missing(root, "detection");
        if (detectionNode is not YamlMappingNode detectionMap)
        {
            throw new RuleParseException("'detection' must be a map of search identifiers and a condition", DetectionParser.Line(detectionNode), DetectionParser.Col(detectionNode));
        }
        var detection = DetectionParser.Parse(detectionMap);
        var line = DetectionParser.Line(root);
        return new SigmaRule(ScalarOf(root, "id") ?? $"{path}#{index}", title, logsource, path, line, detection)
        {
            Name = ScalarOf(root, "name"),
            Level = ScalarOf(root, "level") ?? "",
            Status = ScalarOf(root, "status") ?? "",
            Description = ScalarOf(root, "description"),
            Author = ScalarOf(root, "author"),
            Tags = StringList(root, "tags"),
            Fields = StringList(root, "fields"),
            FalsePositives = StringList(root, "falsepositives"),
        };
    }

    private static SigmaFilter ParseFilter(YamlMappingNode root, string path)
    {
        var title = ScalarOf(root, "title") ?? throw Missing(root, "title");
        var logsource = ParseLogsource(root);
        if (Child(root, "filter") is not YamlMappingNode filter)
        {
            throw new RuleParseException("'filter' must be a map with rules, search identifiers and a condition", DetectionParser.Line(root), DetectionParser.Col(root));
        }
        var rules = StringList(filter, "rules");
        if (rules.Count == 0)
        {
            throw new RuleParseException("filter: 'rules' must name at least one rule id or name", DetectionParser.Line(filter), DetectionParser.Col(filter));
        }
        var detection = DetectionParser.Parse(filter, _filterKeys);
        return new SigmaFilter(ScalarOf(root, "id"), title, logsource, rules, path, DetectionParser.Line(root), detection);
    }

    private static SigmaLogsource ParseLogsource(YamlMappingNode root)
    {
        var node = Child(root, "logsource") ?? throw Missing(root, "logsource");
        if (node is not YamlMappingNode map)
        {
            throw new RuleParseException("'logsource' must be a map (product, category, service)", DetectionParser.Line(node), DetectionParser.Col(node));
        }
        return new SigmaLogsource(Norm(ScalarOf(map, "product")), Norm(ScalarOf(map, "category")), Norm(ScalarOf(map, "service")));

        static string? Norm(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim().ToLowerInvariant();
    }

    private static RuleParseException Missing(YamlMappingNode root, string key) =>
        new($"missing required '{key}'", DetectionParser.Line(root), DetectionParser.Col(root));

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? ScalarOf(YamlMappingNode map, string key) => Child(map, key) is YamlScalarNode s ? s.Value : null;

    private static List<string> StringList(YamlMappingNode map, string key) => Child(map, key) switch
    {
        YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().Select(s => s.Value ?? "").ToList(),
        YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value],
        _ => [],
    };
}
