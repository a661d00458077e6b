using Siem.Core.Envelope;
using Siem.Engine.Pipeline;
using Siem.Lineage.Purge;
using Siem.Nats.JetStream;

namespace Siem.Engine.Keys;

/// <summary>
/// Batches waiting in <c>SIEM_EVENTS</c> that are sealed to one engine key. The stream is a work queue, so every message
/// still in it has not been acknowledged by an engine yet: retiring its key now would quarantine it (unknown_key).
/// The key id is read from the envelope's <see cref="EnvelopeFormat.HeaderKeyId"/> header; bodies are not opened (but
/// they are transferred: a work queue allows no headers-only consumer beside the engines', so the scan reads each
/// message whole, which is what its time follows on a large backlog).
/// </summary>
public static class UnconsumedBatches
{
    /// <summary>How often (in messages read) <c>progress</c> is called.</summary>
    public const int ProgressEvery = 1000;

    /// <summary>Reads every message of the stream (<see cref="StreamMessages"/>, many requests in flight) and counts
    /// those sealed to <paramref name="keyId"/> by agent. A missing stream counts as empty.</summary>
    /// <param name="progress">Called with (messages read, messages waiting when the scan began) every <see cref="ProgressEvery"/> messages.</param>
    public static async Task<SealedBatches> SealedToAsync(NatsJSContext jetStream, string keyId, Action<long, long>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        var byAgent = new Dictionary<string, long>(StringComparer.Ordinal);
        long scanned = 0;
        long waiting = progress == null ? 0 : (long)((await StreamMessages.InfoAsync(jetStream, EngineStreams.Events, [], cancellationToken).ConfigureAwait(false))?.State.Messages ?? 0);
        await foreach (var msg in StreamMessages.AllAsync(jetStream, EngineStreams.Events, [], cancellationToken).ConfigureAwait(false))
        {
            scanned++;
            if (progress != null && scanned % ProgressEvery == 0) progress(scanned, waiting);
            if (!string.Equals(msg.Headers?[EnvelopeFormat.HeaderKeyId], keyId, StringComparison.Ordinal)) continue;
            var agent = msg.Headers?[EnvelopeFormat.HeaderAgent] ?? "(no agent header)";
            byAgent[agent] = byAgent.GetValueOrDefault(agent) + 1;
        }
        return new SealedBatches(keyId, scanned, byAgent);
    }
}
