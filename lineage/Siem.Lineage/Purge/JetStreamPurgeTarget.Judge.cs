using System.Text;
using System.Text.Json;
using Siem.Core.Events;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

public sealed partial class JetStreamPurgeTarget
{
    /// <summary>Whether a message concerns the subject (by value and/or by id), and for an events batch the records of others.</summary>
    private readonly record struct Verdict(bool Concerns, bool ByValue, bool ById, List<LogEvent>? Others, string? AgentId, ulong BatchSeq, int SubjectRecords);

    private Verdict Judge(string stream, StreamMsg msg, PurgeScope scope)
    {
        bool envelope = stream == _options.EventsStream || stream == _options.QuarantineStream;
        if (envelope && TryOpen(msg) is { } opened)
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
            return new Verdict(true, byValue, byId, stream == _options.EventsStream ? others : null, opened.AgentId, opened.BatchSeq, subject);
        }
        // Alerts (plaintext JSON), lineage hops (pseudonymous JSON), quarantined bytes nobody can open: judged by their text.
        var text = Encoding.UTF8.GetString(msg.Data.Span) + "\n" + HeadersText(msg.Headers);
        bool rawHit = scope.Matcher?.IsMatch(text) == true;
        bool idHit = text.Contains(scope.SubjectId, StringComparison.Ordinal)
            || (msg.Headers?["Siem-Alert-Id"] is { } alertId && (scope.DeletedAlertIds.Contains(alertId) || scope.RedactedAlertIds.Contains(alertId)))
            || scope.RecordIds.Any(id => text.Contains(id, StringComparison.Ordinal));
        return new Verdict(rawHit || idHit, rawHit, idHit, null, null, 0, 0);
    }

    private (List<LogEvent> Records, string AgentId, ulong BatchSeq)? TryOpen(StreamMsg msg)
    {
        var headers = msg.Headers;
        var opened = _opener.Open(h => headers?[h], msg.Data.Span);
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
