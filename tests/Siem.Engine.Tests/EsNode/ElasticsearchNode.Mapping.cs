using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Siem.Engine.Tests.EsNode;

internal sealed partial class ElasticsearchNode
{
    /// <summary>
    /// An index's mapping: explicit field types from the matching templates (properties, multi-fields, <c>copy_to</c>,
    /// objects with <c>enabled: false</c>), dynamic strings as keywords (the templates' dynamic template), and the
    /// value/object conflict Elasticsearch refuses. Field values are read from flat dotted keys or nested objects alike.
    /// </summary>
    private sealed partial class Mapping
    {
        private readonly Dictionary<string, string> _types = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string>> _copyTo = new(StringComparer.Ordinal);
        private readonly Dictionary<string, string> _multiFieldParent = new(StringComparer.Ordinal);
        private readonly HashSet<string> _disabled = new(StringComparer.Ordinal);
        private readonly HashSet<string> _objects = new(StringComparer.Ordinal);
        private readonly HashSet<string> _leaves = new(StringComparer.Ordinal);

        public void Apply(JsonObject mappings)
        {
            if (mappings["properties"] is JsonObject props) Walk(props, "");
        }

        private void Walk(JsonObject props, string prefix)
        {
            foreach (var (name, node) in props)
            {
                var def = node!.AsObject();
                string path = prefix + name;
                string type = def["type"]?.GetValue<string>() ?? (def["properties"] != null ? "object" : "object");
                if (type == "object")
                {
                    _objects.Add(path);
                    if (def["enabled"]?.GetValue<bool>() == false) _disabled.Add(path);
                    if (def["properties"] is JsonObject inner) Walk(inner, path + ".");
                    continue;
                }
                _types[path] = type;
                _leaves.Add(path);
                if (def["copy_to"] is { } copy)
                {
                    var targets = copy is JsonArray a ? a.Select(x => x!.GetValue<string>()).ToList() : [copy.GetValue<string>()];
                    foreach (var t in targets) (_copyTo.TryGetValue(t, out var l) ? l : _copyTo[t] = []).Add(path);
                }
                if (def["fields"] is JsonObject multi)
                {
                    foreach (var (sub, subDef) in multi)
                    {
                        _types[path + "." + sub] = subDef!["type"]!.GetValue<string>();
                        _multiFieldParent[path + "." + sub] = path;
                    }
                }
            }
        }

        /// <summary>The field's type: mapped, or "keyword" for dynamic strings; null for disabled objects (not searchable).</summary>
        public string? TypeOf(string field)
        {
            if (_disabled.Any(d => field == d || field.StartsWith(d + ".", StringComparison.Ordinal))) return null;
            return _types.GetValueOrDefault(field, "keyword");
        }

        /// <summary>Refuses a document that makes a field both a value and an object (here or against earlier documents),
        /// and adds its leaves to the dynamic mapping.</summary>
        public void Check(JsonObject doc)
        {
            var leaves = new List<string>();
            var objects = new List<string>();
            Collect(doc, "", leaves, objects);
            foreach (var leaf in leaves)
            {
                if (_objects.Contains(leaf) || objects.Contains(leaf))
                    throw new NodeError(400, "document_parsing_exception", $"[1:2] object mapping for [{leaf}] tried to parse field [{leaf}] as object, but found a concrete value");
                var parent = Parents(leaf).FirstOrDefault(p => _leaves.Contains(p) || leaves.Contains(p));
                if (parent != null && !_multiFieldParent.ContainsKey(leaf))
                    throw new NodeError(400, "document_parsing_exception", $"[1:2] Could not dynamically add mapping for field [{leaf}]. Existing mapping for [{parent}] must be of type object but found [{TypeOf(parent) ?? "object"}].");
            }
            foreach (var leaf in leaves)
            {
                _leaves.Add(leaf);
                foreach (var p in Parents(leaf)) _objects.Add(p);
            }
        }

        private void Collect(JsonObject obj, string prefix, List<string> leaves, List<string> objects)
        {
            foreach (var (key, value) in obj)
            {
                string path = prefix + key;
                if (_disabled.Contains(path)) continue;
                if (value is JsonObject o)
                {
                    objects.Add(path);
                    Collect(o, path + ".", leaves, objects);
                }
                else leaves.Add(path);
            }
        }

        private static IEnumerable<string> Parents(string path)
        {
            for (int i = path.LastIndexOf('.'); i > 0; i = path.LastIndexOf('.', i - 1)) yield return path[..i];
        }

        /// <summary>A field's values in a document as strings (arrays flattened): through flat dotted keys or nested
        /// objects, a multi-field's parent, or the fields copied into it.</summary>
        public List<string> Values(JsonObject doc, string field)
        {
            var values = new List<string>();
            if (_copyTo.TryGetValue(field, out var sources))
            {
                foreach (var s in sources) values.AddRange(Values(doc, s));
                return values;
            }
            if (_multiFieldParent.TryGetValue(field, out var parent)) return Values(doc, parent);
            Read(doc, field, values);
            return values;
        }

        private static void Read(JsonObject obj, string path, List<string> into)
        {
            foreach (var (key, value) in obj)
            {
                if (key == path) Add(value, into);
                else if (value is JsonObject o && path.StartsWith(key + ".", StringComparison.Ordinal)) Read(o, path[(key.Length + 1)..], into);
            }
        }

        private static void Add(JsonNode? value, List<string> into)
        {
            switch (value)
            {
                case null:
                    return;
                case JsonArray a:
                    foreach (var x in a) Add(x, into);
                    return;
                case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                    into.Add(v.GetValue<string>());
                    return;
                case JsonValue v:
                    into.Add(v.ToJsonString());
                    return;
            }
        }

        /// <summary>Tokens of a text field: the standard tokenizer's words (letters and digits, joined by inner dots or
        /// apostrophes, so 10.0.0.5 and example.org stay whole) lowercased.</summary>
        public static List<string> Analyze(string text) =>
            [.. Word().Matches(text).Select(m => m.Value.ToLowerInvariant())];

        [GeneratedRegex(@"[\p{L}\p{N}_]+(?:[.'][\p{L}\p{N}_]+)*")]
        private static partial Regex Word();

        public static long DateTicks(string value) =>
            NodaTime.Text.InstantPattern.ExtendedIso.Parse(value).GetValueOrThrow().ToUnixTimeTicks();

        public static string SortableDate(string value) => DateTicks(value).ToString("D20", CultureInfo.InvariantCulture);
    }
}
