using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules.Correlation;

public static partial class CorrelationRuleParser
{
    private static CorrelationCondition ParseCondition(YamlMappingNode corr, CorrelationType type, int ruleCount)
    {
        var needsField = type is CorrelationType.ValueCount or CorrelationType.ValueSum or CorrelationType.ValueAvg or CorrelationType.ValuePercentile;
        var node = Child(corr, "condition");
        if (node is null)
        {
            // temporal types count distinct referenced rules; without a condition all of them must be seen.
            if (type is CorrelationType.Temporal or CorrelationType.TemporalOrdered)
            {
                return new CorrelationCondition([new(ConditionOperator.Gte, ruleCount)], []);
            }
            throw Error(corr, $"'{TypeName(type)}' requires 'correlation.condition' (e.g. gte: 10)");
        }
        if (node is not YamlMappingNode map)
        {
            throw Error(node, "'correlation.condition' must be a map such as {gte: 10} or {field: User, gt: 5}");
        }

        var terms = new List<KeyValuePair<ConditionOperator, double>>();
        var fields = new List<string>();
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = KeyName(keyNode);
            if (key == "field")
            {
                fields.AddRange(valueNode switch
                {
                    YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value!],
                    YamlSequenceNode seq => seq.Children.Select(n => (n as YamlScalarNode)?.Value
                        ?? throw Error(n, "'condition.field' entries must be field names")),
                    _ => throw Error(valueNode, "'condition.field' must be a field name or a list of field names"),
                });
                continue;
            }
            var op = key switch
            {
                "gt" => ConditionOperator.Gt,
                "gte" => ConditionOperator.Gte,
                "lt" => ConditionOperator.Lt,
                "lte" => ConditionOperator.Lte,
                "eq" => ConditionOperator.Eq,
                "neq" => ConditionOperator.Neq,
                _ => throw Error(keyNode, $"unknown condition operator '{key}': expected gt, gte, lt, lte, eq, neq or field"),
            };
            var text = (valueNode as YamlScalarNode)?.Value;
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var threshold))
            {
                throw Error(valueNode, $"condition '{key}' needs a number, got '{text}'");
            }
            terms.Add(new(op, threshold));
        }
        if (terms.Count == 0)
        {
            throw Error(map, "'correlation.condition' needs at least one of gt, gte, lt, lte, eq, neq");
        }
        if (needsField && fields.Count == 0)
        {
            throw Error(map, $"'{TypeName(type)}' requires 'condition.field' naming the field to aggregate");
        }
        if (!needsField && fields.Count > 0)
        {
            throw Error(map, $"'condition.field' is not used by '{TypeName(type)}'; remove it");
        }
        return new CorrelationCondition(terms, fields);
    }

    private static Dictionary<string, IReadOnlyDictionary<string, string>> ParseAliases(YamlMappingNode corr)
    {
        var result = new Dictionary<string, IReadOnlyDictionary<string, string>>(StringComparer.Ordinal);
        var node = Child(corr, "aliases");
        if (node is null)
        {
            return result;
        }
        if (node is not YamlMappingNode map)
        {
            throw Error(node, "'correlation.aliases' must map alias → {rule name: field}");
        }
        foreach (var (aliasNode, perRule) in map.Children)
        {
            if (perRule is not YamlMappingNode perRuleMap)
            {
                throw Error(perRule, $"alias '{aliasNode}' must map each rule name to a field name");
            }
            var fields = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (ruleNode, fieldNode) in perRuleMap.Children)
            {
                fields[KeyName(ruleNode)] = (fieldNode as YamlScalarNode)?.Value
                    ?? throw Error(fieldNode, $"alias '{aliasNode}' for rule '{ruleNode}' must be a field name");
            }
            result[KeyName(aliasNode)] = fields;
        }
        return result;
    }

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static string? Scalar(YamlMappingNode map, string key) =>
        Child(map, key) is YamlScalarNode s && !string.IsNullOrEmpty(s.Value) ? s.Value : null;

    private static bool? ParseBool(YamlMappingNode map, string key)
    {
        var node = Child(map, key);
        if (node is null)
        {
            return null;
        }
        return (node as YamlScalarNode)?.Value?.ToLowerInvariant() switch
        {
            "true" or "yes" => true,
            "false" or "no" => false,
            var other => throw Error(node, $"'{key}' must be true or false, got '{other}'"),
        };
    }

    private static List<string>? StringList(YamlMappingNode map, string key)
    {
        var node = Child(map, key);
        return node switch
        {
            null => null,
            YamlScalarNode s => string.IsNullOrEmpty(s.Value) ? [] : [s.Value!],
            YamlSequenceNode seq => seq.Children.Select(n => n is YamlScalarNode s && !string.IsNullOrEmpty(s.Value)
                ? s.Value! : throw Error(n, $"'{key}' entries must be non-empty strings")).ToList(),
            _ => throw Error(node, $"'{key}' must be a list of strings"),
        };
    }

    private static string KeyName(YamlNode keyNode) => keyNode is YamlScalarNode scalar
        ? scalar.Value ?? ""
        : throw Error(keyNode, "a key must be a plain name, not a list or map (YAML complex key '? ...')");

    private static CorrelationParseException Error(YamlNode node, string message) =>
        new(message, (int)node.Start.Line, (int)node.Start.Column);
}
