using Siem.Core.Envelope;
using Siem.Engine.Pipeline;
using Siem.Lineage.Purge;
using Siem.Nats.JetStream;

namespace Siem.Engine.Keys;

/// <summary>
/// Batches waiting in <c>SIEM_EVENTS</c> that are sealed to one engine key. The stream is a work queue, so every message
/// still in it has not been acknowledged by an engine yet: retiring its key now would quarantine it (unknown_key).
/// The key id is read from the envelope's <see cref="EnvelopeFormat.HeaderKeyId"/> header; bodies are not opened.
/// </summary>
public static class UnconsumedBatches
{
    /// <summary>Reads every message of the stream (<see cref="StreamMessages"/>, many requests in flight) and counts
    /// those sealed to <paramref name="keyId"/> by agent. A missing stream counts as empty.</summary>
    public static async Task<SealedBatches> SealedToAsync(NatsJSContext jetStream, string keyId, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(jetStream);
        ArgumentException.ThrowIfNullOrEmpty(keyId);
        var byAgent = new Dictionary<string, long>(StringComparer.Ordinal);
        long scanned = 0;
        await foreach (var msg in StreamMessages.AllAsync(jetStream, EngineStreams.Events, [], cancellationToken).ConfigureAwait(false))
        {
            scanned++;
            if (!string.Equals(msg.Headers?[EnvelopeFormat.HeaderKeyId], keyId, StringComparison.Ordinal)) continue;
            var agent = msg.Headers?[EnvelopeFormat.HeaderAgent] ?? "(no agent header)";
            byAgent[agent] = byAgent.GetValueOrDefault(agent) + 1;
        }
        return new SealedBatches(keyId, scanned, byAgent);
    }
}
