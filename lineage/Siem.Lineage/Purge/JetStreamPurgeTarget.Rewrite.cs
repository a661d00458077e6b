using System.Text;
using Siem.Core.Events;
using Siem.Lineage.Hops;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

public sealed partial class JetStreamPurgeTarget
{
    private const string MsgIdHeader = NatsJSContext.MsgIdHeader;

    /// <summary>
    /// A message to publish in place of one that concerns the subject (the original is erased either way). A re-sealed
    /// batch carries no message id of its own: the engine accepts only its agent's batch id, which the original holds.
    /// </summary>
    private sealed record Replacement(byte[] Body, NatsHeaders Headers, string? MsgId);

    /// <summary>
    /// What replaces a message holding the subject and others: an events or quarantine batch re-sealed with the others'
    /// records only (quarantine keeps its reason), a lineage hop without the subject's records and pseudonym. Null: the
    /// message is erased whole (only the subject in it, an events batch the engine already indexed, or nothing re-sealable).
    /// A lineage hop's new message id is derived from the original and the purge, so a resumed step that publishes it
    /// again is deduplicated.
    /// </summary>
    private Replacement? ReplacementOf(string stream, StreamMsg msg, Verdict verdict, PurgeScope scope)
    {
        if (verdict.Others is { Count: > 0 } others && _resealer != null)
        {
            if (stream == _options.EventsStream && AlreadyProcessed(verdict.AgentId!, verdict.BatchSeq)) return null;
            var sealedBatch = _resealer.Reseal(verdict.AgentId!, verdict.BatchSeq, LogEventJson.EncodeBatch(others));
            var headers = new NatsHeaders();
            foreach (var (k, v) in sealedBatch.Headers) headers.Add(k, v);
            // A quarantined batch stays evidence of why it was quarantined.
            if (stream == _options.QuarantineStream)
                CopyHeaders(msg.Headers, headers, name => name.StartsWith(QuarantineHeaderPrefix, StringComparison.Ordinal) || name.StartsWith(OriginalHeaderPrefix, StringComparison.Ordinal));
            return new Replacement(sealedBatch.Body, headers, null);
        }
        if (stream != _options.LineageStream) return null;
        byte[]? body;
        try
        {
            body = msg.Subject switch
            {
                LineageStreams.BatchSubject => WithoutSubject(LineageJson.DecodeBatch(msg.Data.Span), scope),
                LineageStreams.AlertSubject => WithoutSubject(LineageJson.DecodeAlert(msg.Data.Span), scope),
                _ => null,
            };
        }
        catch (FormatException)
        {
            body = null; // a hop the ledger could not read either: nothing of others' worth keeping
        }
        if (body == null) return null;
        var kept = new NatsHeaders();
        CopyHeaders(msg.Headers, kept, name => name != MsgIdHeader);
        // What is left must not name the subject some other way (its value in another record's source, say).
        var (raw, id) = TextConcerns(body, kept, scope);
        string msgId = (msg.Headers?[MsgIdHeader] ?? $"{stream}:{msg.Seq}") + ":purge:" + scope.JobId;
        return raw || id ? null : new Replacement(body, kept, msgId);
    }

    /// <summary>The batch hop without the subject's records; null when only the subject's were in it.</summary>
    private static byte[]? WithoutSubject(BatchLineage batch, PurgeScope scope)
    {
        var others = batch.Records.Where(r => !RecordOfSubject(r, scope)).ToList();
        // None of the subject's records to take out (it is named some other way): the hop goes whole.
        if (others.Count == 0 || others.Count == batch.Records.Count) return null;
        return LineageJson.Encode(batch with { Records = others });
    }

    /// <summary>The alert hop without the subject's records and pseudonym; null for an alert the purge deleted or one left with no one.</summary>
    private static byte[]? WithoutSubject(AlertLineage alert, PurgeScope scope)
    {
        if (scope.DeletedAlertIds.Contains(alert.AlertId)) return null;
        var records = alert.RecordIds.Where(id => !scope.RecordIds.Contains(id)).ToList();
        var subjects = alert.SubjectIds.Where(id => id != scope.SubjectId).ToList();
        if (subjects.Count == 0 && records.Count == 0) return null;
        return LineageJson.Encode(alert with { RecordIds = records, SubjectIds = subjects });
    }

    private static bool RecordOfSubject(RecordLineage r, PurgeScope scope) =>
        scope.RecordIds.Contains(r.RecordId) || (r.SubjectIds.Contains(scope.SubjectId) && scope.InScope(r.EventTime));

    private static void CopyHeaders(NatsHeaders? from, NatsHeaders to, Func<string, bool> keep)
    {
        if (from == null) return;
        foreach (var (k, vs) in from)
        {
            if (!keep(k)) continue;
            foreach (var v in vs) to.Add(k, v);
        }
    }

    private static string HeadersText(NatsHeaders? headers)
    {
        if (headers == null) return "";
        var sb = new StringBuilder();
        foreach (var (k, vs) in headers) foreach (var v in vs) sb.Append(k).Append(": ").Append(v).Append('\n');
        return sb.ToString();
    }
}
