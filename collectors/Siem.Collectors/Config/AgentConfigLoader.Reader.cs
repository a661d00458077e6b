using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Siem.Collectors.Config;

public static partial class AgentConfigLoader
{
    /// <summary>Typed access to YAML nodes with errors that say file:line:column, key, expected and got.</summary>
    private sealed class Reader(string fileName, string baseDir)
    {
        public string FileName => fileName;

        public AgentConfigException Error(YamlNode node, string key, string expected, string got) =>
            new($"{fileName}:{node.Start.Line}:{node.Start.Column}: {key}: expected {expected}, got {got}");

        /// <summary>A value as shown in an error.</summary>
        public static string Q(string value) => $"'{value}'";

        public YamlMappingNode Map(YamlNode node, string key) =>
            node as YamlMappingNode ?? throw Error(node, key.Length == 0 ? "(root)" : key, "a mapping of keys", Describe(node));

        public YamlNode? Optional(YamlMappingNode map, string name) =>
            map.Children.TryGetValue(new YamlScalarNode(name), out var v) && !(v is YamlScalarNode { Value: null or "" or "~" or "null" } s && s.Style == YamlDotNet.Core.ScalarStyle.Plain) ? v : null;

        public YamlNode Required(YamlMappingNode map, string name, string parent) =>
            Optional(map, name) ?? throw new AgentConfigException($"{fileName}:{map.Start.Line}:{map.Start.Column}: {Join(parent, name)}: required key is missing");

        public void OnlyKeys(YamlMappingNode map, string parent, params string[] allowed)
        {
            foreach (var key in map.Children.Keys)
            {
                var name = (key as YamlScalarNode)?.Value ?? "";
                if (!allowed.Contains(name))
                    throw new AgentConfigException($"{fileName}:{key.Start.Line}:{key.Start.Column}: {Join(parent, name)}: unknown key (expected one of {string.Join(", ", allowed)})");
            }
        }

        public string Scalar(YamlNode node, string key) =>
            node is YamlScalarNode { Value: { } v } ? v : throw Error(node, key, "a single value", Describe(node));

        public string? OptionalString(YamlMappingNode map, string name, string parent) =>
            Optional(map, name) is { } n ? Scalar(n, Join(parent, name)) : null;

        public string? OptionalId(YamlMappingNode map, string name, string parent)
        {
            if (Optional(map, name) is not { } n) return null;
            var v = Scalar(n, Join(parent, name));
            return Core.Security.AgentIdValidator.IsValid(v) ? v : throw Error(n, Join(parent, name), "1-128 characters from A-Z a-z 0-9 - _", Q(v));
        }

        /// <summary>An ECS <c>event.module</c> value: lower case, as the rule engine's logsource tables spell modules.</summary>
        public string? OptionalModule(YamlMappingNode map, string name, string parent)
        {
            if (Optional(map, name) is not { } n) return null;
            var v = Scalar(n, Join(parent, name));
            return IsModuleName(v) ? v : throw Error(n, Join(parent, name), "a module name of 1-64 characters from a-z 0-9 . _ - starting with a letter or digit (e.g. cisco, postgresql)", Q(v));
        }

        private static bool IsModuleName(string v) =>
            v.Length is > 0 and <= 64 && (char.IsAsciiLetterLower(v[0]) || char.IsAsciiDigit(v[0]))
            && v.AsSpan().IndexOfAnyExcept("abcdefghijklmnopqrstuvwxyz0123456789._-") < 0;

        public string PathValue(YamlNode node, string key)
        {
            var v = Scalar(node, key);
            return v.Length > 0 ? Resolve(v) : throw Error(node, key, "a path", "an empty value");
        }

        public string? OptionalPath(YamlMappingNode map, string name, string parent) =>
            Optional(map, name) is { } n ? PathValue(n, Join(parent, name)) : null;

        public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDir, path));

        public List<string> StringList(YamlNode node, string key)
        {
            if (node is YamlScalarNode) return [Scalar(node, key)];
            if (node is not YamlSequenceNode seq) throw Error(node, key, "a list of strings", Describe(node));
            return [.. seq.Children.Select((c, i) => Scalar(c, $"{key}[{i}]"))];
        }

        public long PositiveInt(YamlMappingNode map, string name, string parent, long fallback, long max = long.MaxValue)
        {
            if (Optional(map, name) is not { } n) return fallback;
            var key = Join(parent, name);
            var v = n is YamlScalarNode s ? s.Value ?? "" : "";
            return long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var x) && x > 0 && x <= max
                ? x
                : throw Error(n, key, max == long.MaxValue ? "a positive integer" : $"a positive integer up to {max}", n is YamlScalarNode ? Q(v) : Describe(n));
        }

        public bool Bool(YamlMappingNode map, string name, string parent, bool fallback)
        {
            if (Optional(map, name) is not { } n) return fallback;
            return Scalar(n, Join(parent, name)) switch
            {
                "true" or "yes" or "on" => true,
                "false" or "no" or "off" => false,
                var other => throw Error(n, Join(parent, name), "true or false", Q(other)),
            };
        }

        private static string Join(string parent, string name) => parent.Length == 0 ? name : $"{parent}.{name}";
    }
}
