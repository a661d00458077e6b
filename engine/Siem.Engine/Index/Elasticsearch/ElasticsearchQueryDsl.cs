using System.Text.Json;
using NodaTime;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// The one writer of query DSL clauses (per the Elasticsearch query DSL reference, shared by OpenSearch): the search
/// translator and the purge both build their bodies from these, so a clause has one shape wherever it is sent.
/// Every method writes exactly one JSON object (a query clause).
/// </summary>
internal static class ElasticsearchQueryDsl
{
    /// <summary><c>{"match_all":{}}</c>.</summary>
    public static void MatchAll(Utf8JsonWriter w)
    {
        w.WriteStartObject();
        w.WriteStartObject("match_all");
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"ids":{"values":[..]}}</c>: documents by <c>_id</c>.</summary>
    public static void Ids(Utf8JsonWriter w, IEnumerable<string> ids)
    {
        w.WriteStartObject();
        w.WriteStartObject("ids");
        WriteArray(w, "values", ids);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"term":{"field":{"value":v,"case_insensitive":true}}}</c> on a keyword, or <c>{"term":{"field":v}}</c>
    /// (ip fields, blind indexes and ids, where case folding does not apply).</summary>
    public static void Term(Utf8JsonWriter w, string field, string value, bool caseInsensitive)
    {
        w.WriteStartObject();
        w.WriteStartObject("term");
        if (caseInsensitive)
        {
            w.WriteStartObject(field);
            w.WriteString("value", value);
            w.WriteBoolean("case_insensitive", true);
            w.WriteEndObject();
        }
        else
        {
            w.WriteString(field, value);
        }
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"terms":{"field":[..]}}</c>: any of the values, exactly (the default limit is 65,536 terms; callers send at most a few thousand).</summary>
    public static void Terms(Utf8JsonWriter w, string field, IEnumerable<string> values)
    {
        w.WriteStartObject();
        w.WriteStartObject("terms");
        WriteArray(w, field, values);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"wildcard":{"field":{"value":p,"case_insensitive":true}}}</c>.</summary>
    public static void Wildcard(Utf8JsonWriter w, string field, string pattern)
    {
        w.WriteStartObject();
        w.WriteStartObject("wildcard");
        w.WriteStartObject(field);
        w.WriteString("value", pattern);
        w.WriteBoolean("case_insensitive", true);
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"exists":{"field":f}}</c>.</summary>
    public static void Exists(Utf8JsonWriter w, string field)
    {
        w.WriteStartObject();
        w.WriteStartObject("exists");
        w.WriteString("field", field);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>A full-text clause, <c>{"match"|"match_phrase"|"match_phrase_prefix":{"field":text}}</c>.</summary>
    public static void FullText(Utf8JsonWriter w, string kind, string field, string text)
    {
        w.WriteStartObject();
        w.WriteStartObject(kind);
        w.WriteString(field, text);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"bool":{clause:[..]}}</c>; a <c>should</c> needs one of its clauses (<c>minimum_should_match</c> 1).</summary>
    public static void Bool(Utf8JsonWriter w, string clause, IEnumerable<Action<Utf8JsonWriter>> operands)
    {
        w.WriteStartObject();
        w.WriteStartObject("bool");
        w.WriteStartArray(clause);
        foreach (var write in operands) write(w);
        w.WriteEndArray();
        if (clause == "should") w.WriteNumber("minimum_should_match", 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary>
    /// <paramref name="query"/> limited to event time [<paramref name="from"/>, <paramref name="to"/>) on <c>@timestamp</c>
    /// (a <c>bool</c> with the query in <c>must</c> and the range in <c>filter</c>), or the query alone when unbounded.
    /// </summary>
    public static void InTimeRange(Utf8JsonWriter w, Action<Utf8JsonWriter> query, Instant? from, Instant? to)
    {
        if (from == null && to == null)
        {
            query(w);
            return;
        }
        w.WriteStartObject();
        w.WriteStartObject("bool");
        w.WriteStartArray("must");
        query(w);
        w.WriteEndArray();
        w.WriteStartArray("filter");
        w.WriteStartObject();
        w.WriteStartObject("range");
        w.WriteStartObject("@timestamp");
        if (from is { } f) w.WriteString("gte", ElasticsearchDocuments.FormatTime(f));
        if (to is { } t) w.WriteString("lt", ElasticsearchDocuments.FormatTime(t));
        w.WriteString("format", "strict_date_optional_time_nanos");
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteArray(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (var v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }
}
