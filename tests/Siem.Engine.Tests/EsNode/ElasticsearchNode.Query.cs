using System.Net;
using System.Text.Json.Nodes;

namespace Siem.Engine.Tests.EsNode;

internal sealed partial class ElasticsearchNode
{
    /// <summary>The query DSL subset the sink and the purge send, with Elasticsearch's meaning per field type
    /// (keyword: exact, optionally case-insensitive; ip: address or CIDR; text: analyzed tokens; date: range).
    /// Anything else is refused as Elasticsearch refuses an unknown query.</summary>
    private static bool Matches(Index index, string id, JsonObject doc, JsonObject query)
    {
        var (kind, body) = query.Single();
        return kind switch
        {
            "match_all" => true,
            "ids" => body!["values"]!.AsArray().Any(v => v!.GetValue<string>() == id),
            "bool" => Bool(index, id, doc, body!.AsObject()),
            "term" => Term(index, doc, body!.AsObject()),
            "terms" => Terms(index, doc, body!.AsObject()),
            "exists" => index.Mapping.Values(doc, body!["field"]!.GetValue<string>()).Count > 0,
            "wildcard" => Wildcard(index, doc, body!.AsObject()),
            "match" or "match_phrase" or "match_phrase_prefix" => Match(index, doc, kind, body!.AsObject()),
            "range" => Range(index, doc, body!.AsObject()),
            _ => throw new NodeError(400, "parsing_exception", $"unknown query [{kind}]"),
        };
    }

    private static bool Bool(Index index, string id, JsonObject doc, JsonObject b)
    {
        IEnumerable<JsonObject> Clauses(string name) => b[name] switch
        {
            null => [],
            JsonArray a => a.Select(x => x!.AsObject()),
            JsonObject o => [o],
            _ => throw new NodeError(400, "parsing_exception", $"[bool] malformed [{name}]"),
        };
        if (!Clauses("must").All(q => Matches(index, id, doc, q))) return false;
        if (!Clauses("filter").All(q => Matches(index, id, doc, q))) return false;
        if (Clauses("must_not").Any(q => Matches(index, id, doc, q))) return false;
        var should = Clauses("should").ToList();
        int minimum = b["minimum_should_match"]?.GetValue<int>() ?? (b["must"] == null && b["filter"] == null && should.Count > 0 ? 1 : 0);
        return should.Count(q => Matches(index, id, doc, q)) >= minimum;
    }

    private static (string Field, string Value, bool CaseInsensitive) FieldValue(JsonObject body)
    {
        var (field, spec) = body.Single();
        if (spec is JsonObject o) return (field, o["value"]!.ToString(), o["case_insensitive"]?.GetValue<bool>() ?? false);
        return (field, spec!.ToString(), false);
    }

    private static bool Term(Index index, JsonObject doc, JsonObject body)
    {
        var (field, value, ci) = FieldValue(body);
        return TermMatches(index, doc, field, value, ci);
    }

    private static bool TermMatches(Index index, JsonObject doc, string field, string value, bool caseInsensitive)
    {
        var type = index.Mapping.TypeOf(field);
        if (type == null) return false;
        var values = index.Mapping.Values(doc, field);
        return type switch
        {
            "ip" => values.Any(v => IpMatches(v, value)),
            "text" => values.SelectMany(Mapping.Analyze).Contains(value),
            "date" => values.Any(v => Mapping.DateTicks(v) == Mapping.DateTicks(value)),
            _ => values.Any(v => string.Equals(v, value, caseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal)),
        };
    }

    private static bool Terms(Index index, JsonObject doc, JsonObject body)
    {
        var (field, list) = body.Single();
        return list!.AsArray().Any(v => TermMatches(index, doc, field, v!.ToString(), false));
    }

    /// <summary>An address equals the stored one, or a CIDR contains it (an ip field with ignore_malformed keeps
    /// a malformed value in _source only: it matches nothing).</summary>
    private static bool IpMatches(string stored, string query)
    {
        if (!IPAddress.TryParse(stored, out var address)) return false;
        if (query.Contains('/')) return IPNetwork.TryParse(query, out var net) && net.Contains(address);
        if (!IPAddress.TryParse(query, out var q)) throw new NodeError(400, "query_shard_exception", $"failed to create query: '{query}' is not an IP string literal.");
        return q.Equals(address);
    }

    private static bool Wildcard(Index index, JsonObject doc, JsonObject body)
    {
        var (field, value, ci) = FieldValue(body);
        return index.Mapping.Values(doc, field).Any(v => Glob(value, v, ci));
    }

    private static bool Match(Index index, JsonObject doc, string kind, JsonObject body)
    {
        var (field, spec) = body.Single();
        string text = spec is JsonObject o ? o["query"]!.ToString() : spec!.ToString();
        var type = index.Mapping.TypeOf(field);
        if (type == null) return false;
        var values = index.Mapping.Values(doc, field);
        if (type != "text") return values.Any(v => v == text);
        var query = Mapping.Analyze(text);
        if (query.Count == 0) return false;
        foreach (var v in values)
        {
            var tokens = Mapping.Analyze(v);
            if (kind == "match" && query.Any(tokens.Contains)) return true;
            for (int i = 0; kind != "match" && i + query.Count <= tokens.Count; i++)
            {
                bool all = true;
                for (int k = 0; k < query.Count && all; k++)
                {
                    bool last = k == query.Count - 1;
                    all = kind == "match_phrase_prefix" && last ? tokens[i + k].StartsWith(query[k], StringComparison.Ordinal) : tokens[i + k] == query[k];
                }
                if (all) return true;
            }
        }
        return false;
    }

    private static bool Range(Index index, JsonObject doc, JsonObject body)
    {
        var (field, spec) = body.Single();
        if (index.Mapping.TypeOf(field) != "date") throw new NodeError(400, "query_shard_exception", $"this node ranges only date fields, not [{field}]");
        var bounds = spec!.AsObject();
        return index.Mapping.Values(doc, field).Select(Mapping.DateTicks).Any(t =>
            (bounds["gte"] is not { } gte || t >= Mapping.DateTicks(gte.ToString()))
            && (bounds["gt"] is not { } gt || t > Mapping.DateTicks(gt.ToString()))
            && (bounds["lte"] is not { } lte || t <= Mapping.DateTicks(lte.ToString()))
            && (bounds["lt"] is not { } lt || t < Mapping.DateTicks(lt.ToString())));
    }
}
