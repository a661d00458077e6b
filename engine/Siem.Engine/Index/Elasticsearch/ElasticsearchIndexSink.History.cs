using System.Runtime.CompilerServices;
using System.Text.Json;
using NodaTime;
using Siem.Core.Events;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>Reading stored history back in event-time order (for <c>siem rules replay --es</c>).</summary>
public sealed partial class ElasticsearchIndexSink
{
    /// <summary>Events in [from, to) across the event indices (refreshed first, so everything written is counted).</summary>
    public async Task<long> CountEventsAsync(Instant? from, Instant? to, CancellationToken cancellationToken = default)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        string body = Body(w =>
        {
            w.WritePropertyName("query");
            ElasticsearchQueryDsl.InTimeRange(w, ElasticsearchQueryDsl.MatchAll, from, to);
        });
        var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post, EventIndices + "/_count" + SearchOptions, body, ct)), cancellationToken).ConfigureAwait(false);
        using var doc = JsonDocument.Parse(answer);
        return doc.RootElement.GetProperty("count").GetInt64();
    }

    /// <summary>
    /// Events in [from, to) sorted by <c>@timestamp</c> then document id, a page at a time with <c>search_after</c> on the
    /// last hit's sort values (stable under concurrent writes, unlike from/size, and no scroll context to keep alive).
    /// </summary>
    public async IAsyncEnumerable<LogEvent> ReadEventsInTimeOrderAsync(Instant? from, Instant? to, int pageSize = 1000,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(pageSize, 1);
        string? after = null; // the raw JSON array of the last hit's sort values
        while (true)
        {
            string body = Body(w =>
            {
                w.WriteNumber("size", pageSize);
                w.WriteBoolean("track_total_hits", false);
                w.WriteStartArray("sort");
                w.WriteStartObject();
                w.WriteString("@timestamp", "asc");
                w.WriteEndObject();
                w.WriteStartObject();
                w.WriteString(ElasticsearchDocuments.IdField, "asc");
                w.WriteEndObject();
                w.WriteEndArray();
                if (after != null)
                {
                    w.WritePropertyName("search_after");
                    w.WriteRawValue(after);
                }
                w.WritePropertyName("query");
                ElasticsearchQueryDsl.InTimeRange(w, ElasticsearchQueryDsl.MatchAll, from, to);
            });
            var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post, EventIndices + "/_search" + SearchOptions, body, ct)), cancellationToken).ConfigureAwait(false);
            var page = new List<LogEvent>(pageSize);
            using (var doc = JsonDocument.Parse(answer))
            {
                foreach (var hit in doc.RootElement.GetProperty("hits").GetProperty("hits").EnumerateArray())
                {
                    page.Add(ElasticsearchDocuments.ReadEvent(hit.GetProperty("_source")));
                    after = hit.GetProperty("sort").GetRawText();
                }
            }
            foreach (var e in page) yield return e;
            if (page.Count < pageSize) yield break;
        }
    }
}
