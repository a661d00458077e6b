using System.Globalization;
using System.Text.RegularExpressions;
using NodaTime;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules.Correlation;

/// <summary>
/// Turns one YAML document holding a <c>correlation:</c> section into a <see cref="CorrelationRule"/>,
/// following the Sigma correlation rules specification 2.1. Every error names file, line and column.
/// </summary>
public static partial class CorrelationRuleParser
{
    /// <summary>True when the document is a correlation rule (has a top-level <c>correlation</c> key).</summary>
    public static bool IsCorrelation(YamlMappingNode doc) => doc.Children.ContainsKey(new YamlScalarNode("correlation"));

    /// <summary>Parses a correlation document; on failure <paramref name="error"/> says what and where.</summary>
    public static bool TryParse(YamlMappingNode doc, string path, out object? rule, out RuleLoadError? error)
    {
        ArgumentNullException.ThrowIfNull(doc);
        try
        {
            rule = Parse(doc, path);
            error = null;
            return true;
        }
        catch (CorrelationParseException ex)
        {
            rule = null;
            error = new RuleLoadError(path, ex.Line, ex.Column, Scalar(doc, "id") ?? Scalar(doc, "name"), ex.Message, ex.Unsupported);
            return false;
        }
    }

    /// <summary>Parses a correlation document or throws <see cref="FormatException"/> naming file:line:column.</summary>
    public static CorrelationRule ParseOrThrow(YamlMappingNode doc, string path)
    {
        try
        {
            return Parse(doc, path);
        }
        catch (CorrelationParseException ex)
        {
            throw new FormatException($"{path}:{ex.Line}:{ex.Column}: {ex.Message}", ex);
        }
    }

    internal static CorrelationRule Parse(YamlMappingNode doc, string path)
    {
        var title = Scalar(doc, "title") ?? throw Error(doc, "missing required 'title'");
        var corr = doc.Children.TryGetValue(new YamlScalarNode("correlation"), out var c) ? c as YamlMappingNode : null;
        if (corr is null)
        {
            throw Error(doc, "'correlation' must be a map with type, rules, group-by, timespan and condition");
        }

        var typeNode = Child(corr, "type") ?? throw Error(corr, "missing required 'correlation.type'");
        var type = ParseType(typeNode);
        var rules = StringList(corr, "rules") ?? throw Error(corr, "missing required 'correlation.rules'");
        if (rules.Count == 0)
        {
            throw Error(corr, "'correlation.rules' must name at least one rule");
        }

        var timespanNode = Child(corr, "timespan") ?? throw Error(corr, "missing required 'correlation.timespan'");
        var groupBy = StringList(corr, "group-by") ?? [];
        var condition = ParseCondition(corr, type, rules.Count);
        if (type is CorrelationType.TemporalOrdered or CorrelationType.Temporal && rules.Count < 2 && Child(corr, "condition") is null)
        {
            throw Error(corr, $"'{TypeName(type)}' needs at least two rules in 'correlation.rules'");
        }

        return new CorrelationRule
        {
            Title = title,
            Id = Scalar(doc, "id"),
            Name = Scalar(doc, "name"),
            Level = Scalar(doc, "level") ?? "medium",
            Status = Scalar(doc, "status") ?? "",
            Description = Scalar(doc, "description"),
            Tags = StringList(doc, "tags") ?? [],
            Type = type,
            Rules = rules,
            GroupBy = groupBy,
            Timespan = ParseTimespan(timespanNode),
            Aliases = ParseAliases(corr),
            Condition = condition,
            Generate = ParseBool(doc, "generate") ?? ParseBool(corr, "generate") ?? false,
            SourcePath = path,
            Line = (int)doc.Start.Line,
        };
    }

    internal static Duration ParseTimespan(YamlNode node)
    {
        var text = (node as YamlScalarNode)?.Value ?? "";
        var m = TimespanRegex().Match(text);
        if (!m.Success || !long.TryParse(m.Groups[1].Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            throw Error(node, $"invalid timespan '{text}': use a positive number and one of s, m, h, d (e.g. 90m)");
        }
        return m.Groups[2].Value switch
        {
            "s" => Duration.FromSeconds(n),
            "m" => Duration.FromMinutes(n),
            "h" => Duration.FromHours(n),
            "d" => Duration.FromDays(n),
            _ => Duration.FromDays(7 * n),
        };
    }

    [GeneratedRegex("^([0-9]{1,9})([smhdw])$")]
    private static partial Regex TimespanRegex();

    private static CorrelationType ParseType(YamlNode node) => (node as YamlScalarNode)?.Value switch
    {
        "event_count" => CorrelationType.EventCount,
        "value_count" => CorrelationType.ValueCount,
        "temporal" => CorrelationType.Temporal,
        "temporal_ordered" => CorrelationType.TemporalOrdered,
        "value_sum" => CorrelationType.ValueSum,
        "value_avg" => CorrelationType.ValueAvg,
        "value_percentile" => CorrelationType.ValuePercentile,
        var other => throw new CorrelationParseException(
            $"unsupported correlation type '{other}': expected event_count, value_count, temporal, temporal_ordered, value_sum, value_avg or value_percentile",
            (int)node.Start.Line, (int)node.Start.Column, unsupported: true),
    };

    /// <summary>The spec spelling of a correlation type (event_count, ...).</summary>
    public static string TypeName(CorrelationType type) => type switch
    {
        CorrelationType.EventCount => "event_count",
        CorrelationType.ValueCount => "value_count",
        CorrelationType.Temporal => "temporal",
        CorrelationType.TemporalOrdered => "temporal_ordered",
        CorrelationType.ValueSum => "value_sum",
        CorrelationType.ValueAvg => "value_avg",
        _ => "value_percentile",
    };
}
