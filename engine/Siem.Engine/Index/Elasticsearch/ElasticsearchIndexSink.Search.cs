using System.Text;
using System.Text.Json;
using Siem.Engine.Search;

namespace Siem.Engine.Index.Elasticsearch;

public sealed partial class ElasticsearchIndexSink
{
    private const string SearchOptions = "?ignore_unavailable=true&allow_no_indices=true";

    public async Task<IReadOnlyList<SearchHit>> SearchAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = IndexFieldProtection.WithBlindIndex(_protector, request);
        var targets = Targets(request);
        if (targets.Length == 0) return [];
        string body = Body(w =>
        {
            w.WriteNumber("size", request.Limit);
            w.WriteStartArray("sort");
            w.WriteStartObject();
            w.WriteString("@timestamp", "desc");
            w.WriteEndObject();
            w.WriteStartObject();
            w.WriteString(ElasticsearchDocuments.IdField, "desc");
            w.WriteEndObject();
            w.WriteEndArray();
            w.WritePropertyName("query");
            ElasticsearchQueryTranslator.WriteQuery(w, request);
        });
        var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post, targets + "/_search" + SearchOptions, body, ct)), cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(answer);
        var hits = new List<SearchHit>();
        foreach (var hit in doc.RootElement.GetProperty("hits").GetProperty("hits").EnumerateArray())
        {
            var source = hit.GetProperty("_source");
            bool isAlert = source.TryGetProperty(ElasticsearchDocuments.AlertField, out _);
            if (isAlert)
            {
                var alert = ElasticsearchDocuments.ReadAlert(source);
                hits.Add(new SearchHit { Kind = "alert", Id = alert.AlertId, Timestamp = alert.LastSeen, Alert = alert });
            }
            else
            {
                var e = ElasticsearchDocuments.ReadEvent(source);
                hits.Add(new SearchHit { Kind = "event", Id = e.RecordId, Timestamp = e.Timestamp, Event = e });
            }
        }
        return await IndexFieldProtection.RevealAsync(_protector, hits, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> CountAsync(SearchRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request = IndexFieldProtection.WithBlindIndex(_protector, request);
        var targets = Targets(request);
        if (targets.Length == 0) return 0;
        string body = Body(w =>
        {
            w.WritePropertyName("query");
            ElasticsearchQueryTranslator.WriteQuery(w, request);
        });
        var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post, targets + "/_count" + SearchOptions, body, ct)), cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(answer);
        return doc.RootElement.GetProperty("count").GetInt64();
    }

    /// <summary>Deletes by document id in every event index and the alert index (<c>_delete_by_query</c> with an ids query, refreshed).</summary>
    public async Task<int> DeleteAsync(IReadOnlyCollection<string> ids, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(ids);
        if (ids.Count == 0) return 0;
        string body = Body(w =>
        {
            w.WritePropertyName("query");
            ElasticsearchQueryDsl.Ids(w, ids);
        });
        // conflicts=proceed: a document rewritten meanwhile is still deleted by a later purge pass, not an error here.
        var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post,
            $"{AllIndices}/_delete_by_query{SearchOptions}&refresh=true&conflicts=proceed", body, ct)), cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(answer);
        return doc.RootElement.GetProperty("deleted").GetInt32();
    }

    private string Targets(SearchRequest request)
    {
        var list = new List<string>(2);
        if (request.IncludeEvents) list.Add(_options.EventIndexPrefix + "-*");
        if (request.IncludeAlerts) list.Add(_options.AlertIndex);
        return string.Join(',', list);
    }

    private static string Body(Action<Utf8JsonWriter> writeMembers)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            writeMembers(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
