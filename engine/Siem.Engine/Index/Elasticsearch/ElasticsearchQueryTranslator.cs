using System.Text.Json;
using Siem.Engine.Search;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Turns our <see cref="QueryNode"/> into the query DSL with the same meaning as the SQLite compiler:
/// free text → match/match_phrase/match_phrase_prefix on <c>siem.text</c> (message + original line);
/// field:value → case-insensitive term on the keyword (wildcard for <c>*</c>, exists for <c>field:*</c>);
/// AND/OR/NOT → bool must/should/must_not (a chain <c>a OR b OR c</c> becomes one <c>should</c> list);
/// the time range → range on <c>@timestamp</c> (from inclusive, to exclusive). The purge builds its lookups by value
/// as query nodes too, so search and purge send the same clauses (<see cref="ElasticsearchQueryDsl"/>).
/// </summary>
internal static class ElasticsearchQueryTranslator
{
    public static void WriteQuery(Utf8JsonWriter w, SearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ElasticsearchQueryDsl.InTimeRange(w, inner => Write(inner, request.Query), request.From, request.To);
    }

    public static void Write(Utf8JsonWriter w, QueryNode node)
    {
        switch (node)
        {
            case MatchAllNode:
                ElasticsearchQueryDsl.MatchAll(w);
                break;
            case AndNode:
                ElasticsearchQueryDsl.Bool(w, "must", Chain<AndNode>(node, a => (a.Left, a.Right)).Select(Writer));
                break;
            case OrNode:
                ElasticsearchQueryDsl.Bool(w, "should", Chain<OrNode>(node, o => (o.Left, o.Right)).Select(Writer));
                break;
            case NotNode n:
                ElasticsearchQueryDsl.Bool(w, "must_not", [Writer(n.Operand)]);
                break;
            case TextNode t:
                ElasticsearchQueryDsl.FullText(w, t.IsPhrase ? "match_phrase" : t.IsPrefix ? "match_phrase_prefix" : "match",
                    ElasticsearchDocuments.TextField, t.IsPrefix ? t.Text.TrimEnd('*') : t.Text);
                break;
            case FieldNode f:
                WriteField(w, f);
                break;
            default:
                throw new SearchQueryException($"query node {node.GetType().Name} has no Elasticsearch translation");
        }
    }

    /// <summary>The operands of a chain of the same binary operator, left to right (<c>(a OR b) OR c</c> → a, b, c).</summary>
    private static List<QueryNode> Chain<T>(QueryNode node, Func<T, (QueryNode Left, QueryNode Right)> split) where T : QueryNode
    {
        var operands = new List<QueryNode>();
        var pending = new Stack<QueryNode>();
        pending.Push(node);
        while (pending.TryPop(out var n))
        {
            if (n is T op)
            {
                var (left, right) = split(op);
                pending.Push(right);
                pending.Push(left);
            }
            else
            {
                operands.Add(n);
            }
        }
        return operands;
    }

    private static Action<Utf8JsonWriter> Writer(QueryNode node) => w => Write(w, node);

    private static void WriteField(Utf8JsonWriter w, FieldNode f)
    {
        string field = FieldFor(f.Field);
        if (f.HasWildcard && f.Value == "*") ElasticsearchQueryDsl.Exists(w, field);
        // ip fields take an address or CIDR; case folding and wildcards do not apply.
        else if (ElasticsearchTemplates.IpFields.Contains(field)) ElasticsearchQueryDsl.Term(w, field, f.HasWildcard ? IpPrefix(f) : f.Value, caseInsensitive: false);
        else if (f.HasWildcard) ElasticsearchQueryDsl.Wildcard(w, field, f.Value);
        else ElasticsearchQueryDsl.Term(w, field, f.Value, caseInsensitive: true);
    }

    private static string FieldFor(string field) => field switch
    {
        "_id" or "record_id" or "alert_id" => ElasticsearchDocuments.IdField,
        "agent_id" or "agent.id" => ElasticsearchDocuments.AgentField,
        "message" => "message.keyword",
        "title" or "rule.name" => "rule.name.keyword",
        _ => ElasticsearchDocuments.StoredName(field),
    };

    /// <summary><c>10.0.*</c> → <c>10.0.0.0/16</c>; other patterns cannot be expressed on an ip field.</summary>
    private static string IpPrefix(FieldNode f)
    {
        var parts = f.Value.Split('.');
        int fixedParts = parts.Length - 1;
        if (parts[^1] == "*" && fixedParts is >= 1 and <= 3 && parts[..fixedParts].All(p => byte.TryParse(p, out _)))
            return string.Join('.', parts[..fixedParts].Concat(Enumerable.Repeat("0", 4 - fixedParts))) + "/" + (fixedParts * 8);
        throw new SearchQueryException($"{f.Field}:{f.Value}: on an address field only whole-octet prefixes like 10.0.* are supported (or CIDR, e.g. {f.Field}:\"10.0.0.0/8\")");
    }
}
