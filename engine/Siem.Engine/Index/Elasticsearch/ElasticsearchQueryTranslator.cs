using System.Text.Json;
using Siem.Engine.Search;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Turns our <see cref="QueryNode"/> into the query DSL with the same meaning as the SQLite compiler:
/// free text → match/match_phrase/match_phrase_prefix on <c>siem.text</c> (message + original line);
/// field:value → case-insensitive term on the keyword (wildcard for <c>*</c>, exists for <c>field:*</c>);
/// AND/OR/NOT → bool must/should/must_not; the time range → range on <c>@timestamp</c> (from inclusive, to exclusive).
/// </summary>
internal static class ElasticsearchQueryTranslator
{
    public static void WriteQuery(Utf8JsonWriter w, SearchRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.From == null && request.To == null)
        {
            Write(w, request.Query);
            return;
        }
        w.WriteStartObject();
        w.WriteStartObject("bool");
        w.WriteStartArray("must");
        Write(w, request.Query);
        w.WriteEndArray();
        w.WriteStartArray("filter");
        w.WriteStartObject();
        w.WriteStartObject("range");
        w.WriteStartObject("@timestamp");
        if (request.From is { } from) w.WriteString("gte", ElasticsearchDocuments.FormatTime(from));
        if (request.To is { } to) w.WriteString("lt", ElasticsearchDocuments.FormatTime(to));
        w.WriteString("format", "strict_date_optional_time_nanos");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    public static void Write(Utf8JsonWriter w, QueryNode node)
    {
        switch (node)
        {
            case MatchAllNode:
                w.WriteStartObject();
                w.WriteStartObject("match_all");
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case AndNode a:
                Bool(w, "must", a.Left, a.Right);
                break;
            case OrNode o:
                Bool(w, "should", o.Left, o.Right);
                break;
            case NotNode n:
                Bool(w, "must_not", n.Operand);
                break;
            case TextNode t:
                w.WriteStartObject();
                w.WriteStartObject(t.IsPhrase ? "match_phrase" : t.IsPrefix ? "match_phrase_prefix" : "match");
                w.WriteString("siem.text", t.IsPrefix ? t.Text.TrimEnd('*') : t.Text);
                w.WriteEndObject();
                w.WriteEndObject();
                break;
            case FieldNode f:
                WriteField(w, f);
                break;
            default:
                throw new SearchQueryException($"query node {node.GetType().Name} has no Elasticsearch translation");
        }
    }

    private static void Bool(Utf8JsonWriter w, string clause, params QueryNode[] operands)
    {
        w.WriteStartObject();
        w.WriteStartObject("bool");
        w.WriteStartArray(clause);
        foreach (var o in operands) Write(w, o);
        w.WriteEndArray();
        if (clause == "should") w.WriteNumber("minimum_should_match", 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteField(Utf8JsonWriter w, FieldNode f)
    {
        string field = FieldFor(f.Field);
        w.WriteStartObject();
        if (f.HasWildcard && f.Value == "*")
        {
            w.WriteStartObject("exists");
            w.WriteString("field", field);
            w.WriteEndObject();
        }
        else if (ElasticsearchTemplates.IpFields.Contains(field))
        {
            // ip fields take an address or CIDR; case folding and wildcards do not apply.
            w.WriteStartObject("term");
            w.WriteString(field, f.HasWildcard ? IpPrefix(f) : f.Value);
            w.WriteEndObject();
        }
        else
        {
            w.WriteStartObject(f.HasWildcard ? "wildcard" : "term");
            w.WriteStartObject(field);
            w.WriteString("value", f.Value);
            w.WriteBoolean("case_insensitive", true);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteEndObject();
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
