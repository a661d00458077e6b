using System.Globalization;
using Siem.Engine.ScaleOut;
using Siem.Lineage.Purge;
using Siem.Nats.JetStream;
using Siem.Rules.Correlation;

namespace Siem.Engine.Purge;

/// <summary>
/// SIEM_CORR (scale-out): the correlation contributions routed to the partition owners hold the matched events in
/// plaintext for <c>contribution_max_age_s</c>. Every contribution of the subject (one of its records, or the value in
/// the group-by values, the condition key or an event) is erased on disk. A chained contribution that also stands for
/// other people's records is re-published first without the subject's records and events, on the same partition
/// subject, so a partition replaying from an older snapshot still counts the others.
/// </summary>
public sealed class CorrelationStreamPurgeTarget(NatsJSContext js) : IPurgeTarget
{
    private readonly NatsJSContext _js = js ?? throw new ArgumentNullException(nameof(js));

    public string Name => "scale-out-contributions";

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        long erased = 0, rewritten = 0, records = 0;
        var notes = new List<string>();
        await foreach (var msg in StreamMessages.AllAsync(_js, CorrelationSubjects.Stream, notes, cancellationToken).ConfigureAwait(false))
        {
            if (Judge(msg, forget) is not { } verdict) continue;
            if (verdict.Rewritten is { } others)
            {
                await _js.PublishAsync(msg.Subject, ContributionJson.Serialize(others), cancellationToken: cancellationToken).ConfigureAwait(false);
                rewritten++;
            }
            records += verdict.SubjectRecords;
            await _js.DeleteMsgAsync(CorrelationSubjects.Stream, msg.Seq, erase: true, cancellationToken).ConfigureAwait(false);
            erased++;
        }
        notes.Add(string.Create(CultureInfo.InvariantCulture, $"{erased} contributions erased, {rewritten} re-published without the subject"));
        return new PurgeStoreResult(Name, Deleted: records, Erased: erased, Rewritten: rewritten, Note: string.Join("; ", notes));
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var forget = SubjectForgetting.Of(scope);
        long raw = scope.Matcher == null ? -1 : 0, ids = 0;
        var where = new List<string>();
        await foreach (var msg in StreamMessages.AllAsync(_js, CorrelationSubjects.Stream, [], cancellationToken).ConfigureAwait(false))
        {
            if (Judge(msg, forget) is not { } verdict) continue;
            if (verdict.ByValue) raw++;
            if (verdict.SubjectRecords > 0) ids++;
            where.Add(string.Create(CultureInfo.InvariantCulture, $"{CorrelationSubjects.Stream} message {msg.Seq} concerns the subject"));
        }
        return new PurgeStoreCheck(Name, raw, ids, where);
    }

    /// <summary>What a contribution holds of the subject, or null when nothing. A malformed one is judged by its bytes.</summary>
    private static Verdict? Judge(StreamMsg msg, SubjectForgetting forget)
    {
        CorrelationContribution c;
        try
        {
            c = ContributionJson.Deserialize(msg.Data.Span);
        }
        catch (InvalidDataException)
        {
            bool hit = forget.Value is { } m && m.Count(msg.Data.Span) > 0;
            return hit ? new Verdict(true, 0, null) : null;
        }
        int subject = c.RecordIds.Count(forget.RecordIds.Contains);
        bool primary = forget.RecordIds.Contains(c.RecordId);
        bool groupHit = c.GroupValues.Any(forget.HoldsValue) || forget.HoldsValue(c.Key);
        var others = c.Events.Where(e => !forget.RecordIds.Contains(e.RecordId) && !EventHolds(e, forget)).ToList();
        bool eventHit = others.Count < c.Events.Count;
        if (subject == 0 && !primary && !groupHit && !eventHit) return null;
        bool byValue = groupHit || c.Events.Any(e => EventHolds(e, forget));
        // Only a chained match (a child alert standing for several records) can keep something of others.
        var keep = c.RecordIds.Where(r => !forget.RecordIds.Contains(r)).ToList();
        CorrelationContribution? rewritten = c.Chained && !groupHit && !primary && keep.Count > 0
            ? c with { RecordIds = keep, Events = [.. others.Where(e => keep.Contains(e.RecordId))] }
            : null;
        return new Verdict(byValue, Math.Max(subject, primary ? 1 : 0), rewritten);
    }

    private static bool EventHolds(Siem.Core.Events.LogEvent e, SubjectForgetting forget) =>
        forget.Value != null && (forget.HoldsValue(e.Original) || e.Fields.Values.Any(v => v is string s ? forget.HoldsValue(s) : v is string[] a && a.Any(forget.HoldsValue)));

    private sealed record Verdict(bool ByValue, int SubjectRecords, CorrelationContribution? Rewritten);
}
