using System.Runtime.CompilerServices;
using Siem.Nats.JetStream;

namespace Siem.Lineage.Purge;

/// <summary>
/// Reads stream messages for a purge with <c>STREAM.MSG.GET</c> (the only read a work-queue stream allows besides its
/// own consumer), many requests in flight at once so a long stream costs round trips in parallel, not in series.
/// Sequences that are gone (deleted, consumed from a work queue, aged out) are skipped; a missing stream is noted.
/// </summary>
public static class StreamMessages
{
    /// <summary>Requests in flight per stream.</summary>
    public const int InFlight = 32;

    /// <summary>Every message still in the stream, in sequence order.</summary>
    public static async IAsyncEnumerable<StreamMsg> AllAsync(NatsJSContext js, string stream, List<string> notes, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (await InfoAsync(js, stream, notes, cancellationToken).ConfigureAwait(false) is not { } info || info.State.Messages == 0) yield break;
        await foreach (var msg in AtAsync(js, stream, Range(info.State.FirstSeq, info.State.LastSeq), cancellationToken).ConfigureAwait(false)) yield return msg;
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
