using System.Buffers;
using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Math.EC.Rfc8032;
using Siem.Core.Security;

namespace Siem.Core.Envelope;

/// <summary>
/// Engine side: checks and opens one envelope. Order: headers → agent known and not revoked → key id known →
/// signature over canonical header + body (Ed25519ph, or pure Ed25519 for the legacy algorithm) → AES-GCM. Never throws for bad input; every failure is a
/// result with a reason (the engine quarantines it). Thread-safe. Follows key changes while it runs: the engine keys are
/// swapped with <see cref="UseEngineKeys"/>, and a signature that fails against the cached agent record is tried again
/// after re-reading the registry (the agent may have rotated its identity key through another engine). An identity
/// key a rotation replaced still verifies until the record's <see cref="AgentRecord.PreviousKeyValidUntil"/>.
/// </summary>
public sealed class EnvelopeOpener
{
    private IReadOnlyDictionary<string, EngineKeyPair> _keys;
    private readonly AgentRegistry _registry;

    public EnvelopeOpener(IReadOnlyDictionary<string, EngineKeyPair> engineKeysById, AgentRegistry registry)
    {
        ArgumentNullException.ThrowIfNull(engineKeysById);
        ArgumentNullException.ThrowIfNull(registry);
        _keys = engineKeysById;
        _registry = registry;
    }

    /// <summary>Server signing keys (by key id) whose re-sealed batches are accepted (see <see cref="EnvelopeResealer"/>);
    /// empty = only agent-signed batches.</summary>
    public IReadOnlyDictionary<string, byte[]> Resealers { get; init; } = new Dictionary<string, byte[]>();

    /// <summary>When a replaced identity key stops verifying.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;

    /// <summary>Asked with the key id when a batch names a key this opener does not hold: true when the keys were reloaded
    /// (through <see cref="UseEngineKeys"/>), so a key another engine announced a moment ago opens here too.</summary>
    public Func<string, bool>? ReloadEngineKeys { get; init; }

    /// <summary>The engine keys batches may be sealed to from now on (after <c>siem keys rotate</c> or <c>retire</c>).</summary>
    public void UseEngineKeys(IReadOnlyDictionary<string, EngineKeyPair> engineKeysById)
    {
        ArgumentNullException.ThrowIfNull(engineKeysById);
        Volatile.Write(ref _keys, engineKeysById);
    }

    /// <summary>True when the agent is enrolled and revoked now: a batch opened before a revocation and processed after it
    /// is refused too (the engine opens batches ahead of processing them).</summary>
    public bool IsRevoked(string agentId) => _registry.TryGet(agentId, out var agent) && agent.Revoked;

    public EnvelopeOpenResult Open(Func<string, string?> header, ReadOnlySpan<byte> body)
    {
        ArgumentNullException.ThrowIfNull(header);
        var agentId = header(EnvelopeFormat.HeaderAgent);
        var keyId = header(EnvelopeFormat.HeaderKeyId);
        var seqText = header(EnvelopeFormat.HeaderBatchSeq);
        var alg = header(EnvelopeFormat.HeaderAlg);
        if (!AgentIdValidator.IsValid(agentId))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"missing or invalid {EnvelopeFormat.HeaderAgent} header");
        // Canonical decimal only ("007" would alias 7 in the Nats-Msg-Id dedupe key).
        if (!ulong.TryParse(seqText, NumberStyles.None, CultureInfo.InvariantCulture, out var seq)
            || !string.Equals(seq.ToString(CultureInfo.InvariantCulture), seqText, StringComparison.Ordinal))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"missing or invalid {EnvelopeFormat.HeaderBatchSeq} header", agentId);
        if (!string.Equals(alg, EnvelopeFormat.Algorithm, StringComparison.Ordinal) && !string.Equals(alg, EnvelopeFormat.LegacyAlgorithm, StringComparison.Ordinal))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"unsupported {EnvelopeFormat.HeaderAlg} '{alg}' (expected {EnvelopeFormat.Algorithm} or {EnvelopeFormat.LegacyAlgorithm})", agentId, seq);
        if (!AgentIdValidator.IsValid(keyId))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"missing or invalid {EnvelopeFormat.HeaderKeyId} header", agentId, seq);
        var msgId = header(EnvelopeFormat.HeaderMsgId);
        if (msgId != null && !string.Equals(msgId, EnvelopeFormat.MsgId(agentId!, seq), StringComparison.Ordinal))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"{EnvelopeFormat.HeaderMsgId} '{msgId}' does not match agent and sequence", agentId, seq);

        if (!_registry.TryGet(agentId!, out var agent))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.UnknownAgent, $"agent '{agentId}' is not enrolled", agentId, seq);
        if (agent.Revoked)
            return EnvelopeOpenResult.Fail(EnvelopeFailure.RevokedAgent, $"agent '{agentId}' was revoked", agentId, seq, agent.Tenant);
        if (!Volatile.Read(ref _keys).TryGetValue(keyId!, out var engineKey)
            && !(ReloadEngineKeys?.Invoke(keyId!) == true && Volatile.Read(ref _keys).TryGetValue(keyId!, out engineKey)))
            return EnvelopeOpenResult.Fail(EnvelopeFailure.UnknownKey, $"engine key '{keyId}' is not held by this engine", agentId, seq, agent.Tenant);
        if (body.Length < EnvelopeFormat.Overhead)
            return EnvelopeOpenResult.Fail(EnvelopeFailure.Malformed, $"body has {body.Length} bytes, less than the {EnvelopeFormat.Overhead}-byte minimum", agentId, seq, agent.Tenant);

        var header0 = EnvelopeFormat.CanonicalHeader(agentId!, keyId!, seq, alg!);
        if (header(EnvelopeResealer.HeaderResealedBy) is { } resealer)
        {
            // A batch a purge rewrote: signed by the server key, not the agent's; the agent must still be enrolled.
            if (!Resealers.TryGetValue(resealer, out var serverKey))
                return EnvelopeOpenResult.Fail(EnvelopeFailure.BadSignature, $"re-sealed by server key '{resealer}', which this engine does not trust", agentId, seq, agent.Tenant);
            int signed = body.Length - EnvelopeFormat.SignatureSize;
            if (!ServerSigningKey.Verify(serverKey, EnvelopeResealer.SignedMessage(header0, body[..signed]), body[signed..].ToArray()))
                return EnvelopeOpenResult.Fail(EnvelopeFailure.BadSignature, $"re-seal signature does not verify with server key '{resealer}'", agentId, seq, agent.Tenant);
        }
        else if (VerifyAgentSignature(alg!, agent, header0, body) is { } refusal)
        {
            // Rotated through another engine since this one read the registry? Re-read it once, then decide.
            _registry.Refresh();
            if (!_registry.TryGet(agentId!, out var fresh) || ReferenceEquals(fresh, agent) || fresh.Revoked || VerifyAgentSignature(alg!, fresh, header0, body) is { } again)
                return EnvelopeOpenResult.Fail(EnvelopeFailure.BadSignature, refusal, agentId, seq, agent.Tenant);
        }

        var plaintext = Decrypt(engineKey, header0, body);
        return plaintext == null
            ? EnvelopeOpenResult.Fail(EnvelopeFailure.DecryptFailed, $"decryption with engine key '{keyId}' failed", agentId, seq, agent.Tenant)
            : new EnvelopeOpenResult(true, EnvelopeFailure.None, agentId, seq, plaintext, null) { Tenant = agent.Tenant };
    }

    /// <summary>Null when the agent's current key (or its replaced key, within the grace period) made the signature; else why not.</summary>
    private string? VerifyAgentSignature(string alg, AgentRecord agent, byte[] canonicalHeader, ReadOnlySpan<byte> body)
    {
        if (VerifySignature(alg, agent.SigningPublicKey, canonicalHeader, body)) return null;
        if (agent.PreviousSigningPublicKey is not { } previous || !VerifySignature(alg, previous, canonicalHeader, body))
            return "signature does not verify with the agent's enrolled key";
        return agent.PreviousKeyValidUntil is { } until && Clock.GetUtcNow() < until
            ? null
            : $"signed with the agent's replaced identity key, accepted only until {agent.PreviousKeyValidUntil:u} (siem-agent rotate-key)";
    }

    private static bool VerifySignature(string alg, byte[] publicKey, byte[] canonicalHeader, ReadOnlySpan<byte> body)
    {
        var signedBodyLength = body.Length - EnvelopeFormat.SignatureSize;
        if (alg == EnvelopeFormat.Algorithm)
        {
            try
            {
                var prehash = EnvelopeFormat.Prehash(canonicalHeader, body[..signedBodyLength]);
                return Ed25519.VerifyPrehash(body[signedBodyLength..].ToArray(), 0, publicKey, 0, EnvelopeFormat.SignatureContext, prehash, 0);
            }
            catch (ArgumentException)
            {
                return false;
            }
        }
        var length = canonicalHeader.Length + signedBodyLength;
        var message = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            canonicalHeader.CopyTo(message, 0);
            body[..signedBodyLength].CopyTo(message.AsSpan(canonicalHeader.Length));
            var signature = body[signedBodyLength..].ToArray();
            return Ed25519.Verify(signature, 0, publicKey, 0, message, 0, length);
        }
        catch (ArgumentException)
        {
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(message);
        }
    }

    private static byte[]? Decrypt(EngineKeyPair engineKey, byte[] canonicalHeader, ReadOnlySpan<byte> body)
    {
        var cipherLength = body.Length - EnvelopeFormat.Overhead;
        var ephemeralPublic = body[..EnvelopeFormat.EphemeralKeySize];
        var nonce = body.Slice(EnvelopeFormat.EphemeralKeySize, EnvelopeFormat.NonceSize);
        var cipher = body.Slice(EnvelopeFormat.EphemeralKeySize + EnvelopeFormat.NonceSize, cipherLength);
        var tag = body.Slice(EnvelopeFormat.EphemeralKeySize + EnvelopeFormat.NonceSize + cipherLength, EnvelopeFormat.TagSize);

        Span<byte> shared = stackalloc byte[32];
        if (!engineKey.TryAgree(ephemeralPublic, shared)) return null;
        Span<byte> key = stackalloc byte[32];
        EnvelopeFormat.DeriveKey(shared, ephemeralPublic, engineKey.AgreementPublicKey, canonicalHeader, key);
        shared.Clear();
        var plaintext = new byte[cipherLength];
        try
        {
            using var aes = new AesGcm(key, EnvelopeFormat.TagSize);
            aes.Decrypt(nonce, cipher, tag, plaintext, canonicalHeader);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            key.Clear();
        }
    }
}
