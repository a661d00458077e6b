using System.Net.Http.Headers;
using System.Text.Json;
using Siem.Core.Events;
using Siem.Engine.Alerts;

namespace Siem.Engine.Index.Elasticsearch;

public sealed partial class ElasticsearchIndexSink
{
    /// <summary>One bulk item: its action line and document line (NDJSON, each ending in \n).</summary>
    private sealed class BulkItem(string index, string id, byte[] lines, int documentOffset)
    {
        public string Index { get; } = index;
        public string Id { get; } = id;
        public byte[] Lines { get; } = lines;
        public int DocumentOffset { get; } = documentOffset;
        public string? LastError { get; set; }
    }

    private List<BulkItem> BuildItems(IReadOnlyList<LogEvent> events, IReadOnlyList<AlertDocument> alerts)
    {
        var items = new List<BulkItem>(events.Count + alerts.Count);
        foreach (var e in events)
            items.Add(Item(ElasticsearchDocuments.IndexFor(_options.EventIndexPrefix, e.Timestamp), e.RecordId, w => ElasticsearchDocuments.WriteEvent(w, e)));
        foreach (var a in alerts)
            items.Add(Item(_options.AlertIndex, a.AlertId, w => ElasticsearchDocuments.WriteAlert(w, a)));
        return items;
    }

    private static BulkItem Item(string index, string id, Action<Utf8JsonWriter> writeDocument)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteStartObject("index");
            w.WriteString("_index", index);
            w.WriteString("_id", id);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        int offset = (int)buffer.Length;
        using (var w = new Utf8JsonWriter(buffer))
        {
            writeDocument(w);
        }
        buffer.WriteByte((byte)'\n');
        return new BulkItem(index, id, buffer.ToArray(), offset);
    }

    /// <summary>Sends the items as one <c>_bulk</c> request; returns the items to try again (429/5xx). Items refused
    /// for good are dead-lettered here. A request refused as a whole throws (transient: retried by the caller).</summary>
    private async Task<List<BulkItem>> BulkOnceAsync(List<BulkItem> items, CancellationToken cancellationToken)
    {
        var body = new byte[items.Sum(i => i.Lines.Length)];
        int at = 0;
        foreach (var i in items)
        {
            i.Lines.CopyTo(body, at);
            at += i.Lines.Length;
        }
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/x-ndjson");
        var answer = await SendAsync(HttpMethod.Post, "_bulk", content, cancellationToken).ConfigureAwait(false);

        using var doc = ParseBulkResponse(answer, items.Count);
        var again = new List<BulkItem>();
        int n = 0;
        foreach (var entry in doc.RootElement.GetProperty("items").EnumerateArray())
        {
            var item = items[n++];
            // Each entry is {"<action>": {"_index", "_id", "status", "error"?: {"type", "reason"}}}.
            var result = entry.EnumerateObject().First().Value;
            int status = result.GetProperty("status").GetInt32();
            if (status is >= 200 and < 300)
            {
                Interlocked.Increment(ref _written);
                continue;
            }
            string reason = ErrorText(result);
            item.LastError = $"{item.Index}/{item.Id}: HTTP {status} {reason}";
            if (IsTransient(status)) again.Add(item);
            else await DeadLetterAsync(item, status, result, cancellationToken).ConfigureAwait(false);
        }
        return again;
    }

    private static JsonDocument ParseBulkResponse(byte[] answer, int expected)
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(answer);
        }
        catch (JsonException ex)
        {
            throw new ElasticsearchException($"_bulk: the answer is not JSON ({ex.Message})", transient: true, inner: ex);
        }
        if (!doc.RootElement.TryGetProperty("items", out var items) || items.ValueKind != JsonValueKind.Array || items.GetArrayLength() != expected)
        {
            doc.Dispose();
            // The items array is positional; without one entry per action we cannot tell what was written.
            throw new ElasticsearchException($"_bulk: expected {expected} entries in \"items\", the answer does not have them", transient: true);
        }
        return doc;
    }

    private static string ErrorText(JsonElement result)
    {
        if (!result.TryGetProperty("error", out var error)) return "";
        if (error.ValueKind == JsonValueKind.String) return error.GetString() ?? "";
        string type = error.TryGetProperty("type", out var t) ? t.GetString() ?? "" : "";
        string reason = error.TryGetProperty("reason", out var r) ? r.GetString() ?? "" : "";
        return $"{type}: {reason}";
    }

    private async Task DeadLetterAsync(BulkItem item, int status, JsonElement result, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _deadLettered);
        Log($"dead-lettered {item.LastError}");
        if (_options.DeadLetterPath == null) return;
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("at", DateTimeOffset.UtcNow);
            w.WriteString("index", item.Index);
            w.WriteString("id", item.Id);
            w.WriteNumber("status", status);
            if (result.TryGetProperty("error", out var error))
            {
                w.WritePropertyName("error");
                error.WriteTo(w);
            }
            w.WritePropertyName("document");
            w.WriteRawValue(item.Lines.AsSpan(item.DocumentOffset, item.Lines.Length - item.DocumentOffset - 1));
            w.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        await _deadLetterLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var mode = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read };
            if (!OperatingSystem.IsWindows()) mode.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
            await using var file = new FileStream(_options.DeadLetterPath, mode);
            await file.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken).ConfigureAwait(false);
            await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _deadLetterLock.Release();
        }
    }
}
