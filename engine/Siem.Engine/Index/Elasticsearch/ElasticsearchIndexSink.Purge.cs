using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Engine.Search;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Purge support over the REST API. Every lookup first refreshes (a purge must see what was written a moment ago,
/// not only what the last periodic refresh made searchable), then pages through hits with <c>search_after</c> on
/// <c>siem.id</c> (no result window limit). Queries come from the same builder as searches (<see cref="ElasticsearchQueryDsl"/>,
/// <see cref="ElasticsearchQueryTranslator"/>). Events are deleted with <c>_delete_by_query</c> (ids query, refreshed);
/// only the alerts that name the subject's records or hold the value are read (<see cref="FindAlertsAsync"/>), then
/// redacted with partial updates and deleted with <c>_bulk</c> (refreshed); <see cref="CompactAsync"/>
/// expunges deleted documents from the segments (<c>_forcemerge?only_expunge_deletes=true</c>), since Elasticsearch
/// keeps a deleted or updated document's old source on disk until its segment is merged.
/// Errors propagate (a purge step that failed is not done).
/// </summary>
public sealed partial class ElasticsearchIndexSink : IIndexPurge
{
    private const int PurgePageSize = 1000;
    private const int IdsPerRequest = 1000;

    /// <summary>Keyword fields a person's identifier is stored in; searched case-insensitively for the value.</summary>
    private static readonly string[] IdentifierKeywordFields = ["user.name", "user.email", "user.target.name", "related.user", "host.name", "client.user.name"];

    private string EventIndices => _options.EventIndexPrefix + "-*";

    public async Task<IReadOnlyList<string>> FindRecordIdsAsync(IReadOnlyCollection<string> knownIds, string? value, Func<string, bool>? confirm, Instant? from, Instant? to, bool scanAll = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(knownIds);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        var found = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var chunk in knownIds.Chunk(IdsPerRequest))
        {
            await ScanAsync(EventIndices, w => ElasticsearchQueryDsl.Ids(w, chunk), from, to, null,
                (id, _) => found.Add(id), cancellationToken).ConfigureAwait(false);
        }
        if (string.IsNullOrEmpty(value)) return [.. found];
        // Exact: the identifier fields (keywords case-insensitively, addresses as addresses) and the blind index of
        // crypto-shredded fields. Any hit there is the subject's.
        var exact = ExactValueQuery(value);
        await ScanAsync(EventIndices, w => ElasticsearchQueryTranslator.Write(w, exact), from, to, null,
            (id, _) => found.Add(id), cancellationToken).ConfigureAwait(false);
        // Full text: the message and the original line, where any value of a record shows; confirmed as a whole token.
        await ScanAsync(EventIndices, w => ElasticsearchQueryTranslator.Write(w, new TextNode(value, IsPhrase: true, IsPrefix: false)), from, to, [ElasticsearchDocuments.OriginalField, "message"],
            (id, source) =>
            {
                if (confirm == null || confirm(source)) found.Add(id);
            }, cancellationToken).ConfigureAwait(false);
        return [.. found];
    }

    public async Task<int> DeleteRecordsAsync(IReadOnlyCollection<string> recordIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        int deleted = 0;
        foreach (var chunk in recordIds.Chunk(IdsPerRequest))
        {
            string body = Body(w =>
            {
                w.WritePropertyName("query");
                ElasticsearchQueryDsl.Ids(w, chunk);
            });
            // conflicts=proceed: a document rewritten meanwhile (a redelivery) still goes in this call's retry or the
            // verification finds it; refresh=true so the verification search sees the deletion.
            var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post,
                $"{EventIndices}/_delete_by_query{SearchOptions}&refresh=true&conflicts=proceed", body, ct)), cancellationToken).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(answer);
            if (doc.RootElement.TryGetProperty("failures", out var failures) && failures.GetArrayLength() > 0)
                throw new ElasticsearchException($"_delete_by_query: {failures.GetArrayLength()} failure(s), first: {failures[0].GetRawText()}", transient: false);
            deleted += doc.RootElement.GetProperty("deleted").GetInt32();
        }
        return deleted;
    }

    /// <summary>
    /// The alerts that may concern a subject, by query (other people's alerts are neither read nor touched): one search
    /// for the alert ids, the value (a case-insensitive term on <c>siem.values</c> and a phrase on its analyzed
    /// <c>siem.values.text</c>) and any alert indexed before those fields existed (read whole, as the purge cannot ask
    /// it), then one <c>terms</c> search on <c>siem.record_ids</c> per <see cref="IdsPerRequest"/> record ids.
    /// </summary>
    public async Task<IReadOnlyList<AlertDocument>> FindAlertsAsync(IReadOnlyCollection<string> alertIds, IReadOnlyCollection<string> recordIds, string? value, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(alertIds);
        ArgumentNullException.ThrowIfNull(recordIds);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        var alerts = new SortedDictionary<string, AlertDocument>(StringComparer.Ordinal);
        void Add(string _, string source)
        {
            var alert = ElasticsearchDocuments.ReadAlertSource(source);
            alerts.TryAdd(alert.AlertId, alert);
        }
        var byValue = new List<Action<Utf8JsonWriter>>();
        if (alertIds.Count > 0) byValue.Add(w => ElasticsearchQueryDsl.Ids(w, alertIds));
        if (!string.IsNullOrEmpty(value))
        {
            byValue.Add(w => ElasticsearchQueryDsl.Term(w, ElasticsearchDocuments.AlertValuesField, value, caseInsensitive: true));
            byValue.Add(w => ElasticsearchQueryDsl.FullText(w, "match_phrase", ElasticsearchDocuments.AlertValuesField + ".text", value));
        }
        byValue.Add(w => ElasticsearchQueryDsl.Bool(w, "must_not", [x => ElasticsearchQueryDsl.Exists(x, ElasticsearchDocuments.AlertSchemaField)]));
        await ScanAsync(_options.AlertIndex, w => ElasticsearchQueryDsl.Bool(w, "should", byValue), null, null, [ElasticsearchDocuments.AlertField], Add, cancellationToken).ConfigureAwait(false);
        foreach (var chunk in recordIds.Chunk(IdsPerRequest))
        {
            await ScanAsync(_options.AlertIndex, w => ElasticsearchQueryDsl.Terms(w, ElasticsearchDocuments.AlertRecordIdsField, chunk), null, null,
                [ElasticsearchDocuments.AlertField], Add, cancellationToken).ConfigureAwait(false);
        }
        return [.. alerts.Values];
    }

    public async Task RewriteAlertsAsync(IReadOnlyList<AlertDocument> redacted, IReadOnlyCollection<string> deleteIds, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(redacted);
        ArgumentNullException.ThrowIfNull(deleteIds);
        if (redacted.Count == 0 && deleteIds.Count == 0) return;
        using var buffer = new MemoryStream();
        foreach (var alert in redacted)
        {
            // A partial update: every key of the redacted alert replaces the stored one (arrays such as the record ids
            // are replaced whole); redaction keeps the keys, so nothing of the old values survives in _source.
            WriteLine(buffer, w => ActionLine(w, "update", alert.AlertId));
            WriteLine(buffer, w =>
            {
                w.WriteStartObject();
                w.WritePropertyName("doc");
                ElasticsearchDocuments.WriteAlert(w, alert);
                w.WriteEndObject();
            });
        }
        foreach (var id in deleteIds) WriteLine(buffer, w => ActionLine(w, "delete", id));
        var body = buffer.ToArray();
        var answer = await _retry.ExecuteAsync(async ct =>
        {
            var content = new ByteArrayContent(body);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
            return await SendAsync(HttpMethod.Post, "_bulk?refresh=true", content, ct).ConfigureAwait(false);
        }, cancellationToken).ConfigureAwait(false);
        using var doc = ParseBulkResponse(answer, redacted.Count + deleteIds.Count);
        foreach (var entry in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            var action = entry.EnumerateObject().First();
            int status = action.Value.GetProperty("status").GetInt32();
            // 404: the alert is already gone (a resumed purge, or deleted meanwhile) — nothing of it is left to remove.
            if (status is >= 200 and < 300 || status == (int)HttpStatusCode.NotFound) continue;
            string id = action.Value.TryGetProperty("_id", out var i) ? i.GetString() ?? "" : "";
            throw new ElasticsearchException($"_bulk {action.Name} of alert {id}: HTTP {status} {ErrorText(action.Value)}", IsTransient(status), status);
        }
    }

    public async Task CompactAsync(CancellationToken cancellationToken = default)
    {
        await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post,
            $"{AllIndices}/_forcemerge?only_expunge_deletes=true&ignore_unavailable=true&allow_no_indices=true", null, ct)), cancellationToken).ConfigureAwait(false);
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Pages through every hit of <paramref name="query"/> in <paramref name="indices"/> (sorted by siem.id,
    /// <c>search_after</c>), within the event-time scope; <paramref name="onHit"/> gets the id and the raw text of the
    /// requested <paramref name="sourceFields"/> (empty when none were asked for).</summary>
    private async Task ScanAsync(string indices, Action<Utf8JsonWriter> query, Instant? from, Instant? to, string[]? sourceFields, Action<string, string> onHit, CancellationToken cancellationToken)
    {
        string? after = null;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            string body = Body(w =>
            {
                w.WriteNumber("size", PurgePageSize);
                w.WriteBoolean("track_total_hits", false);
                if (sourceFields == null) w.WriteBoolean("_source", false);
                else
                {
                    w.WriteStartArray("_source");
                    foreach (var f in sourceFields) w.WriteStringValue(f);
                    w.WriteEndArray();
                }
                w.WriteStartArray("sort");
                w.WriteStartObject();
                w.WriteString(ElasticsearchDocuments.IdField, "asc");
                w.WriteEndObject();
                w.WriteEndArray();
                if (after != null)
                {
                    w.WriteStartArray("search_after");
                    w.WriteStringValue(after);
                    w.WriteEndArray();
                }
                w.WritePropertyName("query");
                ElasticsearchQueryDsl.InTimeRange(w, query, from, to);
            });
            var answer = await _retry.ExecuteAsync(ct => new ValueTask<byte[]>(SendJsonAsync(HttpMethod.Post, indices + "/_search" + SearchOptions, body, ct)), cancellationToken).ConfigureAwait(false);
            using var doc = JsonDocument.Parse(answer);
            var hits = doc.RootElement.GetProperty("hits").GetProperty("hits");
            int n = 0;
            foreach (var hit in hits.EnumerateArray())
            {
                n++;
                after = hit.GetProperty("sort")[0].GetString();
                string source = hit.TryGetProperty("_source", out var s) ? s.GetRawText() : "";
                onHit(hit.GetProperty("_id").GetString()!, source);
            }
            if (n < PurgePageSize) return;
        }
    }

    /// <summary>The subject's value in any identifier field (or an address field, for an address), or as the blind
    /// index of a crypto-shredded field: the same field terms a search <c>user.name:value OR ...</c> sends.</summary>
    private QueryNode ExactValueQuery(string value)
    {
        var fields = IdentifierKeywordFields.AsEnumerable();
        if (IPAddress.TryParse(value, out _)) fields = fields.Concat(ElasticsearchTemplates.IpFields);
        if (_protector is { } protector) fields = fields.Concat(protector.Fields);
        var query = fields.Distinct(StringComparer.Ordinal).Select(f => (QueryNode)new FieldNode(f, value, HasWildcard: false)).Aggregate((a, b) => new OrNode(a, b));
        return IndexFieldProtection.WithBlindIndex(_protector, new SearchRequest { Query = query }).Query;
    }

    private void ActionLine(Utf8JsonWriter w, string action, string id)
    {
        w.WriteStartObject();
        w.WriteStartObject(action);
        w.WriteString("_index", _options.AlertIndex);
        w.WriteString("_id", id);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private static void WriteLine(MemoryStream buffer, Action<Utf8JsonWriter> write)
    {
        using (var w = new Utf8JsonWriter(buffer)) write(w);
        buffer.WriteByte((byte)'\n');
    }
}
