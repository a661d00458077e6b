using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules.Pipelines;

public sealed partial class FieldMappingPipeline
{
    private static readonly HashSet<string> _transformationKeys = new(StringComparer.Ordinal) { "id", "logsource", "field_mappings", "event_conditions" };

    /// <summary>Loads a pipeline file; throws <see cref="PipelineLoadException"/> naming file:line:column.</summary>
    public static FieldMappingPipeline Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new PipelineLoadException(path, 0, 0, $"cannot read pipeline: {ex.Message}");
        }
        return Parse(text, path);
    }

    public static FieldMappingPipeline Parse(string yaml, string path)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException ex)
        {
            throw new PipelineLoadException(path, (int)ex.Start.Line, (int)ex.Start.Column, $"invalid YAML: {ex.InnerException?.Message ?? ex.Message}");
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new PipelineLoadException(path, 1, 1, "a pipeline is one YAML map with 'name' and 'transformations'");
        }
        var name = (Child(root, "name") as YamlScalarNode)?.Value ?? System.IO.Path.GetFileNameWithoutExtension(path);
        var list = Child(root, "transformations");
        if (list is not YamlSequenceNode seq)
        {
            throw Error(path, list ?? root, "'transformations' must be a list of {id, logsource, field_mappings, event_conditions}");
        }
        var transformations = new List<PipelineTransformation>();
        foreach (var item in seq.Children)
        {
            transformations.Add(ParseTransformation(path, item, transformations.Count));
        }
        return new FieldMappingPipeline(name, transformations, path);
    }

    private static PipelineTransformation ParseTransformation(string path, YamlNode node, int index)
    {
        if (node is not YamlMappingNode map)
        {
            throw Error(path, node, "a transformation must be a map with logsource and field_mappings and/or event_conditions");
        }
        foreach (var key in map.Children.Keys)
        {
            if (!_transformationKeys.Contains((key as YamlScalarNode)?.Value ?? ""))
            {
                throw Error(path, key, $"unknown transformation key '{key}': expected id, logsource, field_mappings or event_conditions");
            }
        }
        IReadOnlyList<string>? product = null, category = null, service = null;
        if (Child(map, "logsource") is { } ls)
        {
            if (ls is not YamlMappingNode lsMap)
            {
                throw Error(path, ls, "'logsource' must be a map of product, category and/or service");
            }
            foreach (var (key, value) in lsMap.Children)
            {
                var values = Strings(path, value, $"logsource.{key}").Select(v => v.ToLowerInvariant()).ToList();
                switch ((key as YamlScalarNode)?.Value)
                {
                    case "product": product = values; break;
                    case "category": category = values; break;
                    case "service": service = values; break;
                    default: throw Error(path, key, $"unknown logsource key '{key}': expected product, category or service");
                }
            }
        }
        return new PipelineTransformation
        {
            Id = (Child(map, "id") as YamlScalarNode)?.Value ?? $"transformation {index + 1}",
            Product = product,
            Category = category,
            Service = service,
            FieldMappings = StringMap(path, Child(map, "field_mappings"), "field_mappings"),
            EventConditions = StringMap(path, Child(map, "event_conditions"), "event_conditions"),
            Line = (int)map.Start.Line,
        };
    }

    private static Dictionary<string, IReadOnlyList<string>> StringMap(string path, YamlNode? node, string what)
    {
        var result = new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal);
        if (node is null)
        {
            return result;
        }
        if (node is not YamlMappingNode map)
        {
            throw Error(path, node, $"'{what}' must map a field name to a field name or a list of them");
        }
        foreach (var (key, value) in map.Children)
        {
            var name = (key as YamlScalarNode)?.Value;
            if (string.IsNullOrEmpty(name))
            {
                throw Error(path, key, $"'{what}' keys must be field names");
            }
            var targets = Strings(path, value, $"{what}.{name}");
            if (targets.Count == 0)
            {
                throw Error(path, value, $"'{what}.{name}' must name at least one field");
            }
            result[name] = targets;
        }
        return result;
    }

    private static List<string> Strings(string path, YamlNode node, string what) => node switch
    {
        YamlScalarNode s when !string.IsNullOrEmpty(s.Value) => [s.Value!],
        YamlSequenceNode seq => seq.Children.Select(c => c is YamlScalarNode s && !string.IsNullOrEmpty(s.Value)
            ? s.Value! : throw Error(path, c, $"'{what}' entries must be non-empty strings")).ToList(),
        _ => throw Error(path, node, $"'{what}' must be a string or a list of strings"),
    };

    private static YamlNode? Child(YamlMappingNode map, string key) =>
        map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static PipelineLoadException Error(string path, YamlNode node, string message) =>
        new(path, (int)node.Start.Line, (int)node.Start.Column, message);
}
