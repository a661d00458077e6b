using System.Globalization;
using Siem.Core.Envelope;
using Siem.Lineage.Subjects;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

/// <summary>
/// JetStream as a purge target. Every message concerning the subject is erased (the server overwrites it on disk,
/// not just marks it deleted): in the events stream (batches not processed yet), the quarantine, the alerts stream
/// (plaintext alert JSON) and the lineage stream. An events or quarantine batch that also holds other people's records
/// is re-published without the subject's records, re-sealed by the server key (<see cref="EnvelopeResealer"/>), before
/// the original is erased (a batch the engine already processed is only erased: its records are in the index, purged
/// there, and a second copy would be quarantined as a replay); a lineage hop that also concerns others is re-published
/// without the subject's records and pseudonym, so their paths still reach the ledger.
/// </summary>
public sealed partial class JetStreamPurgeTarget : IPurgeTarget
{
    private readonly NatsJSContext _js;
    private readonly EnvelopeOpener _opener;
    private readonly EnvelopeResealer? _resealer;
    private readonly SubjectPseudonymizer _pseudonymizer;
    private readonly JetStreamPurgeOptions _options;

    public JetStreamPurgeTarget(NatsJSContext js, EnvelopeOpener opener, EnvelopeResealer? resealer, SubjectPseudonymizer pseudonymizer, JetStreamPurgeOptions? options = null)
    {
        _js = js ?? throw new ArgumentNullException(nameof(js));
        _opener = opener ?? throw new ArgumentNullException(nameof(opener));
        _resealer = resealer;
        _pseudonymizer = pseudonymizer ?? throw new ArgumentNullException(nameof(pseudonymizer));
        _options = options ?? JetStreamPurgeOptions.Default;
    }

    public string Name => "jetstream";

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        long erased = 0, rewritten = 0, removedRecords = 0;
        var notes = new List<string>();
        foreach (var stream in _options.AllStreams)
        {
            long streamErased = 0;
            var read = await CandidatesAsync(stream, scope, notes, cancellationToken).ConfigureAwait(false);
            if (read == null) continue; // no such stream (noted)
            await foreach (var msg in read.Messages.WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                var verdict = Judge(stream, msg, scope);
                if (!verdict.Concerns) continue;
                // Published before the original is erased: a crash in between leaves both, and the resumed step
                // erases the original again while the replacement's message id deduplicates its second publish.
                if (ReplacementOf(stream, msg, verdict, scope) is { } replacement)
                {
                    await _js.PublishAsync(msg.Subject, replacement.Body, replacement.Headers, replacement.MsgId, cancellationToken).ConfigureAwait(false);
                    rewritten++;
                }
                removedRecords += verdict.SubjectRecords;
                await _js.DeleteMsgAsync(stream, msg.Seq, erase: true, cancellationToken).ConfigureAwait(false);
                streamErased++;
            }
            erased += streamErased;
            notes.Add(read.Describe(streamErased));
        }
        return new PurgeStoreResult(Name, Deleted: removedRecords, Erased: erased, Rewritten: rewritten,
            Note: string.Join("; ", notes) + string.Create(CultureInfo.InvariantCulture, $"; {rewritten} batches re-published without the subject"));
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        long raw = scope.Matcher == null ? -1 : 0, ids = 0;
        var where = new List<string>();
        foreach (var stream in _options.AllStreams)
        {
            await foreach (var msg in StreamMessages.AllAsync(_js, stream, where, cancellationToken).ConfigureAwait(false))
            {
                var v = Judge(stream, msg, scope);
                if (!v.Concerns) continue;
                if (v.ByValue) raw++;
                if (v.ById) ids++;
                where.Add(string.Create(CultureInfo.InvariantCulture, $"{stream} message {msg.Seq} concerns the subject"));
            }
        }
        return new PurgeStoreCheck(Name, raw, ids, where);
    }

    private bool AlreadyProcessed(string agentId, ulong batchSeq) => _options.AlreadyProcessed?.Invoke(agentId, batchSeq) ?? false;
}
