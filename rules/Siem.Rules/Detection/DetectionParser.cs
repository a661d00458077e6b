using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules.Detection;

/// <summary>Parses a <c>detection</c> (or filter) section into search identifiers and a condition.</summary>
internal static class DetectionParser
{
    /// <param name="section">The <c>detection</c> map (or a filter's <c>filter</c> map).</param>
    /// <param name="ignoredKeys">Keys that are not search identifiers (e.g. a filter's <c>rules</c>).</param>
    public static SigmaDetection Parse(YamlMappingNode section, IReadOnlySet<string>? ignoredKeys = null)
    {
        var identifiers = new Dictionary<string, SearchIdentifier>(StringComparer.Ordinal);
        YamlNode? conditionNode = null;
        foreach (var (keyNode, value) in section.Children)
        {
            var key = KeyName(keyNode);
            if (key == "condition")
            {
                conditionNode = value;
                continue;
            }
            if (key == "timeframe")
            {
                throw new RuleParseException("'timeframe' in detection is deprecated Sigma 1.0 aggregation; use a correlation rule", Line(keyNode), Col(keyNode), unsupported: true);
            }
            if (ignoredKeys?.Contains(key) == true)
            {
                continue;
            }
            identifiers[key] = ParseIdentifier(key, value);
        }
        if (conditionNode is null)
        {
            throw new RuleParseException("detection has no 'condition'", Line(section), Col(section));
        }
        var conditions = new List<ConditionNode>();
        var texts = conditionNode switch
        {
            YamlScalarNode s => [s],
            YamlSequenceNode seq => seq.Children.OfType<YamlScalarNode>().ToList(),
            _ => [],
        };
        if (texts.Count == 0)
        {
            throw new RuleParseException("'condition' must be a string or a list of strings", Line(conditionNode), Col(conditionNode));
        }
        foreach (var s in texts)
        {
            try
            {
                conditions.Add(ConditionParser.Parse(s.Value ?? "", identifiers.Keys));
            }
            catch (FormatException ex)
            {
                throw new RuleParseException($"condition: {ex.Message}", Line(s), Col(s), ex.Message.Contains("deprecated", StringComparison.Ordinal));
            }
        }
        return new SigmaDetection(identifiers, conditions.Count == 1 ? conditions[0] : new OrNode(conditions));
    }

    private static SearchIdentifier ParseIdentifier(string name, YamlNode node)
    {
        var groups = new List<IReadOnlyList<DetectionItem>>();
        switch (node)
        {
            case YamlMappingNode map:
                groups.Add(ParseMap(map));
                break;
            case YamlSequenceNode seq:
                var keywords = new List<RawValue>();
                foreach (var child in seq.Children)
                {
                    switch (child)
                    {
                        case YamlMappingNode m:
                            groups.Add(ParseMap(m));
                            break;
                        case YamlScalarNode s:
                            keywords.Add(Raw(s));
                            break;
                        default:
                            throw new RuleParseException($"search identifier '{name}': a list may hold values or maps, not nested lists", Line(child), Col(child));
                    }
                }
                if (keywords.Count > 0)
                {
                    groups.Add([ModifierChain.Build(null, [], keywords, Line(seq), Col(seq))]);
                }
                break;
            case YamlScalarNode s:
                // A single keyword.
                groups.Add([ModifierChain.Build(null, [], [Raw(s)], Line(s), Col(s))]);
                break;
        }
        if (groups.Count == 0)
        {
            throw new RuleParseException($"search identifier '{name}' is empty", Line(node), Col(node));
        }
        return new SearchIdentifier(name, groups);
    }

    private static List<DetectionItem> ParseMap(YamlMappingNode map)
    {
        var items = new List<DetectionItem>();
        foreach (var (keyNode, value) in map.Children)
        {
            var key = KeyName(keyNode);
            var parts = key.Split('|');
            var field = parts[0].Length == 0 ? null : parts[0];
            var values = value switch
            {
                YamlScalarNode s => [Raw(s)],
                YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode cs
                    ? Raw(cs)
                    : throw new RuleParseException($"field '{key}': values must be scalars", Line(c), Col(c))).ToList(),
                _ => throw new RuleParseException($"field '{key}': a value must be a scalar or a list of scalars, not a map", Line(value), Col(value)),
            };
            if (values.Count > 1 && values.Any(v => v.Text is null))
            {
                throw new RuleParseException($"field '{key}': null cannot be part of a list of values", Line(value), Col(value));
            }
            try
            {
                items.Add(ModifierChain.Build(field, parts[1..], values, Line(keyNode), Col(keyNode)));
            }
            catch (RuleParseException ex) when (!ex.Message.Contains('\'' + key + '\'', StringComparison.Ordinal))
            {
                throw new RuleParseException($"field '{key}': {ex.Message}", ex.Line, ex.Column, ex.Unsupported);
            }
        }
        if (items.Count == 0)
        {
            throw new RuleParseException("empty map in a search identifier", Line(map), Col(map));
        }
        return items;
    }

    /// <summary>YAML null (<c>null</c>, <c>~</c>, or nothing, unquoted) becomes a null value; everything else its text.</summary>
    internal static RawValue Raw(YamlScalarNode s)
    {
        var isNull = s.Style == ScalarStyle.Plain && (s.Value is null or "" or "~" or "null" or "Null" or "NULL");
        return new RawValue(isNull ? null : s.Value ?? "", Line(s), Col(s));
    }

    /// <summary>A map key as a name; a sequence or map used as a key (YAML's <c>? key</c>) is a parse error, not a crash.</summary>
    internal static string KeyName(YamlNode keyNode) => keyNode is YamlScalarNode scalar
        ? scalar.Value ?? ""
        : throw new RuleParseException("a key must be a plain name, not a list or map (YAML complex key '? ...')", Line(keyNode), Col(keyNode));

    internal static int Line(YamlNode n) => (int)n.Start.Line;

    internal static int Col(YamlNode n) => (int)n.Start.Column;
}
