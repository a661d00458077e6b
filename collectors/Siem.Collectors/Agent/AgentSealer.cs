using Siem.Collectors.Delivery;
using Siem.Core.Envelope;
using Siem.Core.Security;

namespace Siem.Collectors.Agent;

/// <summary>
/// Seals each batch with the next sequence number under the keys of the moment: the engine key (replaced when the
/// engine announces a rotation) and the agent's identity (replaced after <c>siem-agent rotate-key</c>). Numbering and
/// sealing happen under one lock, so every batch numbered from <see cref="SwitchEngineKey"/>'s return value on is
/// sealed to the new key and every one before it to an old one — what the agent reports as still pending.
/// </summary>
internal sealed class AgentSealer(AgentIdentity identity, byte[] enginePublicKey, string engineKeyId, BatchSequence sequence)
{
    private readonly object _gate = new();
    private AgentIdentity _identity = identity;
    private byte[] _enginePublicKey = enginePublicKey;
    private EnvelopeSealer _sealer = new(identity, enginePublicKey, engineKeyId);

    public string EngineKeyId
    {
        get { lock (_gate) return _sealer.EngineKeyId; }
    }

    public AgentIdentity Identity
    {
        get { lock (_gate) return _identity; }
    }

    public SealedEnvelope SealNext(ReadOnlySpan<byte> plaintext)
    {
        lock (_gate) return _sealer.Seal(sequence.Next(), plaintext);
    }

    /// <summary>Seals to <paramref name="keyId"/> from now on; returns the first batch sequence sealed to it.</summary>
    public ulong SwitchEngineKey(string keyId, byte[] publicKey)
    {
        lock (_gate)
        {
            _sealer = new EnvelopeSealer(_identity, publicKey, keyId);
            _enginePublicKey = publicKey;
            return sequence.Peek;
        }
    }

    /// <summary>Signs with <paramref name="next"/> from now on (same agent id).</summary>
    public void SwitchIdentity(AgentIdentity next)
    {
        lock (_gate)
        {
            if (next.AgentId != _identity.AgentId) throw new InvalidDataException($"the new identity is for '{next.AgentId}', not '{_identity.AgentId}'");
            _sealer = new EnvelopeSealer(next, _enginePublicKey, _sealer.EngineKeyId);
            _identity = next;
        }
    }
}
