using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Siem.Engine.Tests.EsNode;

/// <summary>
/// An in-memory Elasticsearch node behind the real HTTP peer (<see cref="ElasticsearchPeer"/>), following the REST
/// contract of the endpoints the sink and the purge use: <c>_index_template</c> (mappings applied to indices created
/// later), <c>_bulk</c> (index/create/update/delete, per-item status, <c>refresh</c>), <c>_search</c> (query DSL subset,
/// sort, <c>search_after</c>, <c>_source</c> filtering), <c>_count</c>, <c>_delete_by_query</c>, <c>_refresh</c> and
/// <c>_forcemerge</c>. As in Elasticsearch, searches and <c>_delete_by_query</c> see only what the last refresh made
/// searchable, a field cannot be a value in one document and an object in another (mapper_parsing_exception), unknown
/// query types are refused (parsing_exception), and a deleted or overwritten document's old source stays in its segment
/// (<see cref="StoredText"/>) until <c>_forcemerge?only_expunge_deletes=true</c>.
/// </summary>
internal sealed partial class ElasticsearchNode : IDisposable
{
    private readonly object _gate = new();
    private readonly ElasticsearchPeer _peer;
    private readonly Dictionary<string, Index> _indices = new(StringComparer.Ordinal);
    private readonly List<(string[] Patterns, JsonObject Mappings)> _templates = [];

    public ElasticsearchNode() => _peer = new ElasticsearchPeer((r, _) => Handle(r));

    public Uri Url => _peer.Url;

    public IEnumerable<ElasticsearchPeer.Request> Requests => _peer.Requests;

    /// <summary>The live documents of an index (what a GET would return), by id.</summary>
    public IReadOnlyDictionary<string, JsonObject> Documents(string index)
    {
        lock (_gate) return _indices.TryGetValue(index, out var i) ? i.Live.ToDictionary(kv => kv.Key, kv => (JsonObject)kv.Value.DeepClone()) : [];
    }

    public IReadOnlyList<string> IndexNames
    {
        get { lock (_gate) return [.. _indices.Keys.Order(StringComparer.Ordinal)]; }
    }

    /// <summary>Every source the node holds on its data path: live documents and old versions not yet merged away.</summary>
    public string StoredText()
    {
        lock (_gate)
        {
            var sb = new StringBuilder();
            foreach (var i in _indices.Values)
            {
                foreach (var d in i.Live.Values) sb.AppendLine(d.ToJsonString());
                foreach (var d in i.Unmerged) sb.AppendLine(d);
            }
            return sb.ToString();
        }
    }

    private sealed class Index(string name, Mapping mapping)
    {
        public string Name { get; } = name;
        public Mapping Mapping { get; } = mapping;
        public Dictionary<string, JsonObject> Live { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, JsonObject> Searchable { get; set; } = new(StringComparer.Ordinal);
        public List<string> Unmerged { get; } = [];
        public void Refresh() => Searchable = Live.ToDictionary(kv => kv.Key, kv => (JsonObject)kv.Value.DeepClone(), StringComparer.Ordinal);
    }

    private (int, string) Handle(ElasticsearchPeer.Request r)
    {
        lock (_gate)
        {
            try
            {
                var segments = r.Path.Trim('/').Split('/');
                var query = System.Web.HttpUtility.ParseQueryString(r.Query);
                bool refresh = query["refresh"] is "true" or "" or "wait_for";
                switch (r.Method, segments)
                {
                    case ("PUT", ["_index_template", _]):
                        return PutTemplate(r.Body);
                    case ("POST" or "PUT", ["_bulk"]):
                        return Bulk(r.Body, refresh);
                    case ("POST" or "GET", [var targets, "_search"]):
                        return Search(Resolve(targets, query), Parse(r.Body));
                    case ("POST" or "GET", [var targets, "_count"]):
                        return Count(Resolve(targets, query), Parse(r.Body));
                    case ("POST", [var targets, "_delete_by_query"]):
                        return DeleteByQuery(Resolve(targets, query), Parse(r.Body), refresh);
                    case ("POST" or "GET", [var targets, "_refresh"]):
                        return Shards(Resolve(targets, query), i => i.Refresh());
                    case ("POST", [var targets, "_forcemerge"]):
                        return Shards(Resolve(targets, query), i =>
                        {
                            if (query["only_expunge_deletes"] == "true" || query["max_num_segments"] != null) i.Unmerged.Clear();
                        });
                    default:
                        return Error(400, "illegal_argument_exception", $"request [{r.Method} {r.Path}] is not supported by this node");
                }
            }
            catch (NodeError e)
            {
                return Error(e.Status, e.Type, e.Message);
            }
        }
    }

    private (int, string) PutTemplate(string body)
    {
        var t = Parse(body);
        var patterns = t["index_patterns"]!.AsArray().Select(p => p!.GetValue<string>()).ToArray();
        var mappings = t["template"]?["mappings"]?.AsObject() ?? [];
        _templates.RemoveAll(x => x.Patterns.SequenceEqual(patterns));
        _templates.Add((patterns, (JsonObject)mappings.DeepClone()));
        return (200, "{\"acknowledged\":true}");
    }

    /// <summary>The indices a target expression names (comma-separated, wildcards); a missing concrete index is a 404
    /// unless <c>ignore_unavailable=true</c>.</summary>
    private List<Index> Resolve(string targets, System.Collections.Specialized.NameValueCollection query)
    {
        var list = new List<Index>();
        foreach (var t in targets.Split(','))
        {
            if (t.Contains('*'))
            {
                list.AddRange(_indices.Values.Where(i => Glob(t, i.Name, false)));
                continue;
            }
            if (_indices.TryGetValue(t, out var i)) list.Add(i);
            else if (query["ignore_unavailable"] != "true") throw new NodeError(404, "index_not_found_exception", $"no such index [{t}]");
        }
        return [.. list.Distinct()];
    }

    private Index GetOrCreate(string name)
    {
        if (_indices.TryGetValue(name, out var index)) return index;
        var mapping = new Mapping();
        foreach (var (patterns, mappings) in _templates.Where(t => t.Patterns.Any(p => Glob(p, name, false)))) mapping.Apply(mappings);
        return _indices[name] = new Index(name, mapping);
    }

    private (int, string) Shards(List<Index> indices, Action<Index> act)
    {
        foreach (var i in indices) act(i);
        return (200, $"{{\"_shards\":{{\"total\":{indices.Count},\"successful\":{indices.Count},\"failed\":0}}}}");
    }

    private static JsonObject Parse(string body)
    {
        if (string.IsNullOrWhiteSpace(body)) return [];
        try
        {
            return JsonNode.Parse(body)!.AsObject();
        }
        catch (JsonException e)
        {
            throw new NodeError(400, "parse_exception", "request body is not JSON: " + e.Message);
        }
    }

    private static (int, string) Error(int status, string type, string reason)
    {
        var cause = new JsonObject { ["type"] = type, ["reason"] = reason };
        return (status, new JsonObject { ["error"] = new JsonObject { ["root_cause"] = new JsonArray(cause.DeepClone()), ["type"] = type, ["reason"] = reason }, ["status"] = status }.ToJsonString());
    }

    internal static bool Glob(string pattern, string text, bool ignoreCase)
    {
        var regex = "^" + System.Text.RegularExpressions.Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal).Replace("\\?", ".", StringComparison.Ordinal) + "$";
        return System.Text.RegularExpressions.Regex.IsMatch(text, regex, ignoreCase ? System.Text.RegularExpressions.RegexOptions.IgnoreCase : System.Text.RegularExpressions.RegexOptions.None);
    }

    public void Dispose() => _peer.Dispose();

    private sealed class NodeError(int status, string type, string message) : Exception(message)
    {
        public int Status { get; } = status;
        public string Type { get; } = type;
    }
}
