using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Siem.Host.Server.Config;

/// <summary>
/// A YAML mapping with typed reads whose errors say <c>file:line:column: key: expected ..., got ...</c>.
/// Relative paths resolve against the config file's directory. Roles read their own section through this.
/// </summary>
internal sealed class ConfigSection
{
    private readonly YamlMappingNode _map;

    public ConfigSection(YamlMappingNode map, string key, string fileName, string baseDir)
    {
        _map = map;
        Key = key;
        FileName = fileName;
        BaseDir = baseDir;
    }

    /// <summary>Dotted key of this section (empty for the root).</summary>
    public string Key { get; }
    public string FileName { get; }
    public string BaseDir { get; }

    public string Where(YamlNode node) => $"{FileName}:{node.Start.Line}:{node.Start.Column}";

    public ServerConfigException Error(YamlNode node, string name, string expected, string got) =>
        new($"{Where(node)}: {Join(name)}: expected {expected}, got {got}");

    /// <summary>An error about a key of this section (at the key's value when present, else at the section).</summary>
    public ServerConfigException Error(string name, string expected, string got) => Error(Node(name) ?? _map, name, expected, got);

    /// <summary>Unknown keys are errors: a typo must not silently fall back to a default.</summary>
    public void OnlyKeys(params IEnumerable<string> allowed)
    {
        var list = allowed.ToList();
        foreach (var key in _map.Children.Keys)
        {
            var name = (key as YamlScalarNode)?.Value ?? "";
            if (!list.Contains(name))
                throw new ServerConfigException($"{Where(key)}: {Join(name)}: unknown key (expected one of {string.Join(", ", list)})");
        }
    }

    public bool Has(string name) => Node(name) != null;

    /// <summary>The value node, or null when absent or an explicit null.</summary>
    public YamlNode? Node(string name) =>
        _map.Children.TryGetValue(new YamlScalarNode(name), out var v) && !(v is YamlScalarNode { Value: null or "" or "~" or "null" } s && s.Style == YamlDotNet.Core.ScalarStyle.Plain) ? v : null;

    public ConfigSection? Section(string name)
    {
        if (Node(name) is not { } n) return null;
        return n is YamlMappingNode m ? new ConfigSection(m, Join(name), FileName, BaseDir) : throw Error(n, name, "a mapping of keys", Describe(n));
    }

    public string? String(string name) => Node(name) is { } n ? Scalar(n, name) : null;

    public string RequiredString(string name) => String(name) ?? throw Missing(name);

    public ServerConfigException Missing(string name) => new($"{Where(_map)}: {Join(name)}: required key is missing");

    public string? Path(string name)
    {
        if (Node(name) is not { } n) return null;
        var v = Scalar(n, name);
        return v.Length > 0 ? Resolve(v) : throw Error(n, name, "a path", "an empty value");
    }

    public string Resolve(string path) => System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.GetFullPath(System.IO.Path.Combine(BaseDir, path));

    public List<string> StringList(string name)
    {
        if (Node(name) is not { } n) return [];
        if (n is YamlScalarNode) return [Scalar(n, name)];
        if (n is not YamlSequenceNode seq) throw Error(n, name, "a list of strings", Describe(n));
        return [.. seq.Children.Select((c, i) => Scalar(c, $"{name}[{i}]"))];
    }

    public long PositiveInt(string name, long fallback, long max = long.MaxValue)
    {
        if (Node(name) is not { } n) return fallback;
        var v = n is YamlScalarNode s ? s.Value ?? "" : "";
        return long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x > 0 && x <= max
            ? x
            : throw Error(n, name, max == long.MaxValue ? "a positive integer" : $"a positive integer up to {max}", n is YamlScalarNode ? Q(v) : Describe(n));
    }

    public bool Bool(string name, bool fallback)
    {
        if (Node(name) is not { } n) return fallback;
        return Scalar(n, name) switch
        {
            "true" or "yes" or "on" => true,
            "false" or "no" or "off" => false,
            var other => throw Error(n, name, "true or false", Q(other)),
        };
    }

    /// <summary>One of <paramref name="choices"/>, or <paramref name="fallback"/> when absent.</summary>
    public string Choice(string name, string fallback, params string[] choices)
    {
        if (Node(name) is not { } n) return fallback;
        var v = Scalar(n, name);
        return choices.Contains(v) ? v : throw Error(n, name, string.Join(" or ", choices), Q(v));
    }

    public static string Q(string value) => $"'{value}'";

    public static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{s.Value}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => node.NodeType.ToString(),
    };

    private string Scalar(YamlNode node, string name) =>
        node is YamlScalarNode { Value: { } v } ? v : throw Error(node, name, "a single value", Describe(node));

    private string Join(string name) => Key.Length == 0 ? name : $"{Key}.{name}";
}
