using System.Text;
using System.Text.Json;
using Siem.Core.Events;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

public sealed partial class JetStreamPurgeTarget
{
    /// <summary>Whether a message concerns the subject (by value and/or by id), and for an events batch the records of others.</summary>
    private readonly record struct Verdict(bool Concerns, bool ByValue, bool ById, List<LogEvent>? Others, string? AgentId, ulong BatchSeq, int SubjectRecords);

    private Verdict Judge(string stream, StreamMsg msg, PurgeScope scope)
    {
        bool envelope = stream == _options.EventsStream || stream == _options.QuarantineStream;
        if (envelope && TryOpen(msg, quarantined: stream == _options.QuarantineStream) is { } opened)
        {
            var others = new List<LogEvent>();
            bool byValue = false, byId = false;
            int subject = 0;
            foreach (var e in opened.Records)
            {
                var (v, i) = RecordConcerns(e, scope);
                if (v || i)
                {
                    subject++;
                    byValue |= v;
                    byId |= i;
                }
                else
                {
                    others.Add(e);
                }
            }
            if (subject == 0) return default;
            return new Verdict(true, byValue, byId, others, opened.AgentId, opened.BatchSeq, subject);
        }
        // Alerts (plaintext JSON), lineage hops (pseudonymous JSON), quarantined bytes nobody can open: judged by their text.
        var (rawHit, idHit) = TextConcerns(msg.Data, msg.Headers, scope);
        return new Verdict(rawHit || idHit, rawHit, idHit, null, null, 0, 0);
    }

    /// <summary>(by value, by id) for a message judged by its text: the value as a token, the pseudonym, a record or alert id of the subject.</summary>
    private static (bool ByValue, bool ById) TextConcerns(ReadOnlyMemory<byte> data, NatsHeaders? headers, PurgeScope scope)
    {
        var text = Encoding.UTF8.GetString(data.Span) + "\n" + HeadersText(headers);
        bool rawHit = scope.Matcher?.IsMatch(text) == true;
        bool idHit = text.Contains(scope.SubjectId, StringComparison.Ordinal)
            || (headers?["Siem-Alert-Id"] is { } alertId && (scope.DeletedAlertIds.Contains(alertId) || scope.RedactedAlertIds.Contains(alertId)))
            || scope.RecordIds.Any(id => text.Contains(id, StringComparison.Ordinal));
        return (rawHit, idHit);
    }

    /// <summary>Header names the engine's quarantine uses (Siem.Engine's EventPipeline; this library cannot reference it).</summary>
    private const string QuarantineHeaderPrefix = "Siem-Quarantine-", OriginalHeaderPrefix = "Siem-Original-", OriginalMsgIdHeader = "Siem-Original-Msg-Id";

    private (List<LogEvent> Records, string AgentId, ulong BatchSeq)? TryOpen(StreamMsg msg, bool quarantined)
    {
        var headers = msg.Headers;
        // A quarantined batch carries the quarantine's own message id; the agent's batch id is kept under another name.
        string? Header(string name) =>
            quarantined && string.Equals(name, MsgIdHeader, StringComparison.OrdinalIgnoreCase) ? headers?[OriginalMsgIdHeader] : headers?[name];
        var opened = _opener.Open(Header, msg.Data.Span);
        if (!opened.Ok) return null;
        try
        {
            return (LogEventJson.DecodeBatch(opened.Plaintext), opened.AgentId!, opened.BatchSeq);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or InvalidDataException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>(by value, by id): the record holds the value as a token, or is one of the subject's records / carries its pseudonym.</summary>
    private (bool ByValue, bool ById) RecordConcerns(LogEvent e, PurgeScope scope)
    {
        if (!scope.InScope(e.Timestamp)) return (false, false);
        bool byId = scope.RecordIds.Contains(e.RecordId) || _pseudonymizer.SubjectIdsOf(e).Contains(scope.SubjectId);
        if (!byId && e.Get(scope.Field) is { } fieldValue)
        {
            try
            {
                byId = _pseudonymizer.SubjectId(scope.Field, fieldValue) == scope.SubjectId;
            }
            catch (ArgumentException)
            {
                // A blank value identifies nobody.
            }
        }
        bool byValue = false;
        if (scope.Matcher is { } m)
        {
            byValue = m.IsMatch(e.Original);
            if (!byValue)
            {
                foreach (var v in e.Fields.Values)
                {
                    if ((v is string s && m.IsMatch(s)) || (v is string[] arr && arr.Any(m.IsMatch)))
                    {
                        byValue = true;
                        break;
                    }
                }
            }
        }
        return (byValue, byId);
    }
}
