using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using NodaTime;
using Siem.Engine.Alerts;
using Siem.Lineage.Shredding;

namespace Siem.Engine.Index.Elasticsearch;

/// <summary>
/// Purge support over the REST API. Every lookup first refreshes (a purge must see what was written a moment ago,
/// not only what the last periodic refresh made searchable), then pages through hits with <c>search_after</c> on
/// <c>siem.id</c> (no result window limit). Events are deleted with <c>_delete_by_query</c> (ids query, refreshed);
/// alerts are redacted with partial updates and deleted with <c>_bulk</c> (refreshed); <see cref="CompactAsync"/>
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
            await ScanAsync(EventIndices, w => IdsQuery(w, chunk), from, to, null,
                (id, _) => found.Add(id), cancellationToken).ConfigureAwait(false);
        }
        if (string.IsNullOrEmpty(value)) return [.. found];
        // Exact: the identifier fields (keywords case-insensitively, addresses as addresses) and the blind index of
        // crypto-shredded fields. Any hit there is the subject's.
        await ScanAsync(EventIndices, w => ExactValueQuery(w, value), from, to, null,
            (id, _) => found.Add(id), cancellationToken).ConfigureAwait(false);
        // Full text: the message and the original line, where any value of a record shows; confirmed as a whole token.
        await ScanAsync(EventIndices, w => Leaf(w, "match_phrase", ElasticsearchDocuments.TextField, value), from, to, [ElasticsearchDocuments.OriginalField, "message"],
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
                IdsQuery(w, chunk);
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

    public async Task<IReadOnlyList<AlertDocument>> ReadAlertsAsync(CancellationToken cancellationToken = default)
    {
        await RefreshAsync(cancellationToken).ConfigureAwait(false);
        var alerts = new List<AlertDocument>();
        await ScanAsync(_options.AlertIndex, w => Leaf(w, "match_all", null, null), null, null, [ElasticsearchDocuments.AlertField],
            (_, source) => alerts.Add(ElasticsearchDocuments.ReadAlertSource(source)), cancellationToken).ConfigureAwait(false);
        return alerts;
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
                Scoped(w, query, from, to);
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

    private static void Scoped(Utf8JsonWriter w, Action<Utf8JsonWriter> query, Instant? from, Instant? to)
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

    private static void IdsQuery(Utf8JsonWriter w, IEnumerable<string> ids)
    {
        w.WriteStartObject();
        w.WriteStartObject("ids");
        w.WriteStartArray("values");
        foreach (var id in ids) w.WriteStringValue(id);
        w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    private void ExactValueQuery(Utf8JsonWriter w, string value)
    {
        w.WriteStartObject();
        w.WriteStartObject("bool");
        w.WriteStartArray("should");
        foreach (var field in IdentifierKeywordFields)
        {
            w.WriteStartObject();
            w.WriteStartObject("term");
            w.WriteStartObject(field);
            w.WriteString("value", value);
            w.WriteBoolean("case_insensitive", true);
            w.WriteEndObject();
            w.WriteEndObject();
            w.WriteEndObject();
        }
        if (IPAddress.TryParse(value, out _))
        {
            foreach (var field in ElasticsearchTemplates.IpFields) Leaf(w, "term", field, value);
        }
        if (_protector is { } protector)
        {
            foreach (var field in protector.Fields)
            {
                if (Siem.Lineage.Subjects.SubjectPseudonymizer.Canonical(field, value) == null) continue;
                Leaf(w, "term", ElasticsearchDocuments.StoredName(field + FieldProtector.BlindIndexSuffix), protector.BlindIndex(field, value));
            }
        }
        w.WriteEndArray();
        w.WriteNumber("minimum_should_match", 1);
        w.WriteEndObject();
        w.WriteEndObject();
    }

    /// <summary><c>{"kind": {"field": value}}</c>, or <c>{"kind": {}}</c> without a field.</summary>
    private static void Leaf(Utf8JsonWriter w, string kind, string? field, string? value)
    {
        w.WriteStartObject();
        w.WriteStartObject(kind);
        if (field != null) w.WriteString(field, value);
        w.WriteEndObject();
        w.WriteEndObject();
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
