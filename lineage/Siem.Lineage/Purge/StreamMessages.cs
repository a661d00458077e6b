using System.Runtime.CompilerServices;
using Siem.Nats;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

/// <summary>
/// Reads stream messages for a purge. A whole stream is read in batches through an ephemeral ack-none pull consumer
/// (one pull request per <see cref="ScanBatch"/> messages instead of one request per message); a work-queue stream,
/// which allows no second consumer beside its own, and single sequences are read with <c>STREAM.MSG.GET</c>, many
/// requests in flight at once so a long run costs round trips in parallel, not in series. Sequences that are gone
/// (deleted, consumed from a work queue, aged out) are skipped; a missing stream is noted.
/// </summary>
public static class StreamMessages
{
    /// <summary>Requests in flight per stream (reads by sequence).</summary>
    public const int InFlight = 32;

    /// <summary>Messages per pull request of a whole-stream scan.</summary>
    public const int ScanBatch = 256;

    /// <summary>
    /// Every message the stream held when the read began, in sequence order (messages published after it began may
    /// follow; messages deleted meanwhile may or may not).
    /// </summary>
    public static async IAsyncEnumerable<StreamMsg> AllAsync(NatsJSContext js, string stream, List<string> notes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (await InfoAsync(js, stream, notes, cancellationToken).ConfigureAwait(false) is not { } info) yield break;
        await foreach (var msg in AllAsync(js, info, cancellationToken).ConfigureAwait(false)) yield return msg;
    }

    /// <summary>Every message the stream held as of <paramref name="info"/> (see the overload by name).</summary>
    public static IAsyncEnumerable<StreamMsg> AllAsync(NatsJSContext js, StreamInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(info);
        if (info.State.Messages == 0) return AsyncEnumerable.Empty<StreamMsg>();
        return info.Config.Retention == RetentionPolicy.WorkQueue
            ? AtAsync(js, info.Config.Name, Range(info.State.FirstSeq, info.State.LastSeq), cancellationToken)
            : ScanAsync(js, info.Config.Name, info.State.LastSeq, null, cancellationToken);
    }

    /// <summary>
    /// The messages on subjects matching <paramref name="filterSubject"/> the stream held as of <paramref name="info"/>,
    /// read through a filtered ephemeral consumer (the server skips the others). Not for a work-queue stream.
    /// </summary>
    public static IAsyncEnumerable<StreamMsg> FilteredAsync(NatsJSContext js, StreamInfo info, string filterSubject, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        ArgumentNullException.ThrowIfNull(info);
        ArgumentException.ThrowIfNullOrEmpty(filterSubject);
        if (info.Config.Retention == RetentionPolicy.WorkQueue)
            throw new ArgumentException($"stream {info.Config.Name} is a work queue: it allows no filtered consumer beside its own", nameof(info));
        return info.State.Messages == 0 ? AsyncEnumerable.Empty<StreamMsg>() : ScanAsync(js, info.Config.Name, info.State.LastSeq, filterSubject, cancellationToken);
    }

    /// <summary>The messages at the given sequences (ascending, duplicates skipped) that still exist.</summary>
    public static async IAsyncEnumerable<StreamMsg> AtAsync(NatsJSContext js, string stream, IEnumerable<ulong> sequences, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(js);
        var window = new Queue<Task<StreamMsg?>>(InFlight);
        ulong previous = 0;
        foreach (var seq in sequences)
        {
            if (seq == previous) continue;
            previous = seq;
            window.Enqueue(GetAsync(js, stream, seq, cancellationToken));
            if (window.Count < InFlight) continue;
            if (await window.Dequeue().ConfigureAwait(false) is { } msg) yield return msg;
        }
        while (window.Count > 0)
        {
            if (await window.Dequeue().ConfigureAwait(false) is { } msg) yield return msg;
        }
    }

    /// <summary>The stream's info, or null (noted) when there is no such stream.</summary>
    public static async Task<StreamInfo?> InfoAsync(NatsJSContext js, string stream, List<string> notes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(js);
        try
        {
            return await js.GetStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == 10059)
        {
            notes.Add($"{stream}: no such stream");
            return null;
        }
    }

    /// <summary>Reads up to <paramref name="lastSeq"/> (only <paramref name="filterSubject"/> when given) through an ephemeral consumer, deleted when done.</summary>
    private static async IAsyncEnumerable<StreamMsg> ScanAsync(NatsJSContext js, string stream, ulong lastSeq, string? filterSubject, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var consumer = await js.CreateOrUpdateConsumerAsync(stream, new ConsumerConfig
        {
            Description = "siem purge: reads the stream once",
            DeliverPolicy = DeliverPolicy.All,
            AckPolicy = AckPolicy.None,
            InactiveThreshold = TimeSpan.FromSeconds(30),
            MemoryStorage = true,
            FilterSubject = filterSubject,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            // Nothing to read (no message on the filter): a pull would only wait for its expiry.
            bool done = consumer.Info.NumPending == 0;
            while (!done)
            {
                int received = 0;
                await foreach (var msg in consumer.FetchAsync(ScanBatch, TimeSpan.FromSeconds(5), cancellationToken: cancellationToken).ConfigureAwait(false))
                {
                    received++;
                    var meta = msg.Metadata;
                    yield return new StreamMsg(msg.Subject, meta.StreamSeq, msg.Headers, msg.Data, meta.Timestamp);
                    // The last message present when the scan began, or nothing after this one: the pull's remaining wait is not needed.
                    if (meta.StreamSeq >= lastSeq || meta.NumPending == 0)
                    {
                        done = true;
                        break;
                    }
                }
                // A pull that expired empty: every message up to lastSeq is gone (deleted while the scan ran).
                if (received == 0) done = true;
            }
        }
        finally
        {
            using var cleanup = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await js.DeleteConsumerAsync(stream, consumer.Name, cleanup.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is NatsException or OperationCanceledException)
            {
                // The server removes the idle consumer itself after its inactive threshold.
            }
        }
    }

    private static async Task<StreamMsg?> GetAsync(NatsJSContext js, string stream, ulong seq, CancellationToken cancellationToken)
    {
        try
        {
            return await js.GetMsgAsync(stream, seq, cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException e) when (e.ErrCode == 10037)
        {
            return null; // deleted, consumed (work queue) or aged out
        }
    }

    private static IEnumerable<ulong> Range(ulong first, ulong last)
    {
        for (ulong seq = first; seq <= last; seq++) yield return seq;
    }
}
