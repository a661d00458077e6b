using System.Globalization;
using System.Runtime.CompilerServices;
using Siem.Lineage.Hops;
using Siem.Lineage.Ledger;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

public sealed partial class JetStreamPurgeTarget
{
    /// <summary>
    /// The messages of one stream the purge judges, and what the certificate says about how they were found. Counts are
    /// filled in as <see cref="Messages"/> is read.
    /// </summary>
    private sealed class StreamRead(string stream)
    {
        public required IAsyncEnumerable<StreamMsg> Messages { get; init; }

        /// <summary>Null: read whole; else the number of sequences the ledger named (fetched one by one).</summary>
        public int? Named { get; init; }

        /// <summary>Why a stream the ledger could name was read whole after all.</summary>
        public string? FallbackReason { get; init; }

        public string? NoticeSubjects { get; init; }
        public long Read;
        public long NoticesRead;

        public string Describe(long erased) => Named is { } named
            ? string.Create(CultureInfo.InvariantCulture,
                $"{stream}: by ledger sequence, {named} named, {Read} read; {NoticeSubjects} read through a filter, {NoticesRead} read; {erased} erased")
            : string.Create(CultureInfo.InvariantCulture,
                $"{stream}: read whole, {Read} read, {erased} erased{(FallbackReason is { } why ? " (" + why + ")" : "")}");
    }

    /// <summary>
    /// How a stream is read for the purge: the alerts stream by the sequences the ledger names (plus the notice subjects no
    /// hop names) when the ledger can name every message of the subject's alerts; every other stream, and the alerts
    /// stream when it cannot, whole. Null when there is no such stream (noted).
    /// </summary>
    private async Task<StreamRead?> CandidatesAsync(string stream, PurgeScope scope, List<string> notes, CancellationToken cancellationToken)
    {
        if (await StreamMessages.InfoAsync(_js, stream, notes, cancellationToken).ConfigureAwait(false) is not { } info) return null;
        if (stream != _options.AlertsStream || _options.Ledger is not { } ledger || info.State.Messages == 0)
            return Whole(stream, info, null, cancellationToken);
        // Hops still waiting in the lineage stream first: one the ledger consumer takes meanwhile is in the ledger by the time it is asked.
        var pending = await PendingAlertHopsAsync(cancellationToken).ConfigureAwait(false);
        var named = await ledger.AlertMessagesAsync(stream, scope.SubjectId, scope.RecordIds, [.. scope.DeletedAlertIds.Union(scope.RedactedAlertIds)], cancellationToken).ConfigureAwait(false);
        var subjectAlerts = new HashSet<string>(named.AlertIds, StringComparer.Ordinal);
        var sequences = new SortedSet<ulong>(named.Sequences);
        int unnamed = named.UnnamedAlerts;
        foreach (var hop in pending)
        {
            bool concerns = subjectAlerts.Contains(hop.AlertId) || hop.SubjectIds.Contains(scope.SubjectId) || hop.RecordIds.Any(scope.RecordIds.Contains);
            if (!concerns) continue;
            if (hop.Stream == stream && hop.StreamSeq is { } seq and > 0) sequences.Add(seq);
            else unnamed++;
        }
        string? why = unnamed > 0 ? string.Create(CultureInfo.InvariantCulture, $"{unnamed} alert(s) of the subject have messages the ledger does not name")
            : named.FirstNamedSeq is not { } first ? "the ledger names no message of this stream"
            : info.State.FirstSeq < first ? string.Create(CultureInfo.InvariantCulture, $"it holds messages from before the ledger named them: first message {info.State.FirstSeq}, first named {first}")
            : null;
        if (why != null) return Whole(stream, info, why, cancellationToken);
        StreamRead read = null!;
        read = new StreamRead(stream)
        {
            Named = sequences.Count,
            NoticeSubjects = _options.AlertNoticeSubjects,
            Messages = Concat(
                Counted(StreamMessages.AtAsync(_js, stream, sequences, cancellationToken), () => read.Read++),
                Counted(StreamMessages.FilteredAsync(_js, info, _options.AlertNoticeSubjects, cancellationToken), () => read.NoticesRead++)),
        };
        return read;
    }

    private StreamRead Whole(string stream, StreamInfo info, string? why, CancellationToken cancellationToken)
    {
        StreamRead read = null!;
        read = new StreamRead(stream) { FallbackReason = why, Messages = Counted(StreamMessages.AllAsync(_js, info, cancellationToken), () => read.Read++) };
        return read;
    }

    /// <summary>Alert hops not yet in the ledger (the lineage stream is a work queue the ledger consumer empties); an undecodable one names nothing.</summary>
    private async Task<List<AlertLineage>> PendingAlertHopsAsync(CancellationToken cancellationToken)
    {
        var hops = new List<AlertLineage>();
        await foreach (var msg in StreamMessages.AllAsync(_js, _options.LineageStream, [], cancellationToken).ConfigureAwait(false))
        {
            if (msg.Subject != LineageStreams.AlertSubject) continue;
            try
            {
                hops.Add(LineageJson.DecodeAlert(msg.Data.Span));
            }
            catch (FormatException)
            {
                // The ledger consumer cannot store it either; the lineage pass judges it by its text.
            }
        }
        return hops;
    }

    private static async IAsyncEnumerable<StreamMsg> Counted(IAsyncEnumerable<StreamMsg> source, Action count)
    {
        await foreach (var msg in source.ConfigureAwait(false))
        {
            count();
            yield return msg;
        }
    }

    private static async IAsyncEnumerable<StreamMsg> Concat(IAsyncEnumerable<StreamMsg> first, IAsyncEnumerable<StreamMsg> second, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach (var msg in first.WithCancellation(cancellationToken).ConfigureAwait(false)) yield return msg;
        await foreach (var msg in second.WithCancellation(cancellationToken).ConfigureAwait(false)) yield return msg;
    }
}
