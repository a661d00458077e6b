using System.Globalization;
using NodaTime;
using NodaTime.Text;
using Siem.Core.Events;
using Siem.Rules.Correlation;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Siem.Rules.RuleTests;

/// <summary>A parsed <c>*.tests.yml</c> (format: see <see cref="RuleTestRunner"/>). Errors are <see cref="FormatException"/>s naming file:line:column.</summary>
internal sealed class RuleTestFile
{
    private static readonly Instant DefaultStart = Instant.FromUtc(2025, 1, 1, 0, 0);

    public List<TestCase> Match { get; } = [];

    public List<TestCase> NoMatch { get; } = [];

    public List<TestSequence> Sequences { get; } = [];

    public int CaseCount => Match.Count + NoMatch.Count + Sequences.Count;

    internal sealed record TestCase(string Label, int Line, LogEvent Event);

    internal sealed record TestSequence(string Name, int Line, List<LogEvent> Events, int? ExpectedAlerts, List<Dictionary<string, string?>>? ExpectedGroups);

    public static RuleTestFile Load(string path, Func<string, IReadOnlyList<LogEvent>>? parseLine)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(File.ReadAllText(path)));
        }
        catch (YamlException ex)
        {
            throw new FormatException($"{path}:{ex.Start.Line}:{ex.Start.Column}: invalid YAML: {ex.InnerException?.Message ?? ex.Message}", ex);
        }
        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new FormatException($"{path}:1:1: a rule test file is one YAML map with match, no_match and/or sequences");
        }
        var file = new RuleTestFile();
        var counter = 0;
        foreach (var (keyNode, value) in root.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value;
            switch (key)
            {
                case "match":
                case "no_match":
                    var target = key == "match" ? file.Match : file.NoMatch;
                    var i = 0;
                    foreach (var item in List(path, value, key))
                    {
                        foreach (var e in Events(path, item, parseLine, ref counter))
                        {
                            target.Add(new TestCase($"{key}[{i}]", (int)item.Start.Line, e));
                        }
                        i++;
                    }
                    break;
                case "sequences":
                    foreach (var item in List(path, value, key))
                    {
                        file.Sequences.Add(Sequence(path, item, parseLine, ref counter));
                    }
                    break;
                case "rule" or "description":
                    break;
                default:
                    throw Error(path, keyNode, $"unknown key '{key}': expected match, no_match or sequences");
            }
        }
        return file;
    }

    private static TestSequence Sequence(string path, YamlNode node, Func<string, IReadOnlyList<LogEvent>>? parseLine, ref int counter)
    {
        if (node is not YamlMappingNode map)
        {
            throw Error(path, node, "a sequence is a map with name, events and expect");
        }
        var name = (Child(map, "name") as YamlScalarNode)?.Value ?? $"line {node.Start.Line}";
        var events = new List<LogEvent>();
        foreach (var item in List(path, Child(map, "events") ?? throw Error(path, map, $"sequence '{name}' needs 'events'"), "events"))
        {
            events.AddRange(Events(path, item, parseLine, ref counter));
        }
        int? alerts = null;
        List<Dictionary<string, string?>>? groups = null;
        if (Child(map, "expect") is YamlMappingNode expect)
        {
            if (Child(expect, "alerts") is YamlScalarNode a)
            {
                alerts = int.TryParse(a.Value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : throw Error(path, a, "'expect.alerts' must be a whole number");
            }
            if (Child(expect, "groups") is { } g)
            {
                groups = List(path, g, "expect.groups").Select(item => item is YamlMappingNode gm
                    ? gm.Children.ToDictionary(kv => ((YamlScalarNode)kv.Key).Value!, kv => (kv.Value as YamlScalarNode)?.Value is { Length: > 0 } v && v != "null" ? v : null, StringComparer.Ordinal)
                    : throw Error(path, item, "each of 'expect.groups' is a map of group-by field to value")).ToList();
            }
        }
        else
        {
            throw Error(path, map, $"sequence '{name}' needs 'expect' with alerts and/or groups");
        }
        return new TestSequence(name, (int)node.Start.Line, events, alerts, groups);
    }

    private static IEnumerable<LogEvent> Events(string path, YamlNode node, Func<string, IReadOnlyList<LogEvent>>? parseLine, ref int counter)
    {
        if (node is YamlScalarNode line)
        {
            if (parseLine is null)
            {
                throw Error(path, node, "raw log lines need the agent's parsers (run through 'siem rules test')");
            }
            return parseLine(line.Value ?? "");
        }
        if (node is not YamlMappingNode map)
        {
            throw Error(path, node, "an event is a map of fields or a raw log line");
        }
        var repeat = 1;
        var every = Duration.FromSeconds(1);
        if (Child(map, "_repeat") is YamlScalarNode r && !int.TryParse(r.Value, NumberStyles.None, CultureInfo.InvariantCulture, out repeat))
        {
            throw Error(path, r, "'_repeat' must be a whole number");
        }
        if (Child(map, "_every") is { } ev)
        {
            try
            {
                every = CorrelationRuleParser.ParseTimespan(ev);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                throw Error(path, ev, $"'_every': {ex.Message}");
            }
        }
        var result = new List<LogEvent>();
        for (var i = 0; i < repeat; i++)
        {
            var e = new LogEvent { RecordId = $"{Path.GetFileName(path)}:{node.Start.Line}:{i}:{counter++}", Original = "" };
            Flatten(map, "", e, i);
            var ts = e.Get(EcsFields.Timestamp);
            if (ts is null)
            {
                e.Timestamp = DefaultStart + Duration.FromSeconds(counter);
            }
            else
            {
                var parsed = InstantPattern.ExtendedIso.Parse(ts);
                e.Timestamp = parsed.Success ? parsed.Value + (every * i) : throw Error(path, node, $"'@timestamp' is not ISO-8601 UTC: '{ts}'");
            }
            result.Add(e);
        }
        return result;
    }

    private static void Flatten(YamlMappingNode map, string prefix, LogEvent e, int index)
    {
        foreach (var (k, v) in map.Children)
        {
            var name = prefix + ((YamlScalarNode)k).Value;
            if (prefix.Length == 0 && name is "_repeat" or "_every")
            {
                continue;
            }
            switch (v)
            {
                case YamlMappingNode m:
                    Flatten(m, name + ".", e, index);
                    break;
                case YamlSequenceNode s:
                    e.Fields[name] = s.Children.Select(c => Subst((c as YamlScalarNode)?.Value ?? "", index)).ToArray();
                    break;
                case YamlScalarNode sc:
                    e.Set(name, Subst(sc.Value ?? "", index));
                    break;
            }
        }
    }

    private static string Subst(string value, int index) => value.Replace("{i}", index.ToString(CultureInfo.InvariantCulture), StringComparison.Ordinal);

    private static IEnumerable<YamlNode> List(string path, YamlNode node, string what) =>
        node as YamlSequenceNode ?? throw Error(path, node, $"'{what}' must be a list");

    private static YamlNode? Child(YamlMappingNode map, string key) => map.Children.TryGetValue(new YamlScalarNode(key), out var v) ? v : null;

    private static FormatException Error(string path, YamlNode node, string message) => new($"{path}:{node.Start.Line}:{node.Start.Column}: {message}");
}
