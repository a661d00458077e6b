using Codes = Siem.Core.Security.AgentKeyMessages.Codes;
using EngineKeyRequest = Siem.Core.Security.AgentKeyMessages.EngineKeyRequest;
using EngineKeyResponse = Siem.Core.Security.AgentKeyMessages.EngineKeyResponse;
using RotateRequest = Siem.Core.Security.AgentKeyMessages.RotateRequest;
using RotateResponse = Siem.Core.Security.AgentKeyMessages.RotateResponse;

namespace Siem.Core.Security;

/// <summary>
/// Engine-side decisions for an enrolled agent's key requests (<see cref="AgentKeyMessages"/>), transport-free (the
/// NATS responder is a thin loop around it). Every request must be signed by the agent's identity key and name the
/// agent of the subject it came on. Errors say what to do; replies carry public keys only.
/// </summary>
public sealed class AgentKeyAuthority
{
    private readonly AgentRegistry _registry;
    private readonly Func<EngineKeyRing> _engineKeys;
    private readonly TimeProvider _clock;

    /// <param name="engineKeys">The engine's keys as they are now (they change while the engine runs).</param>
    /// <param name="identityKeyGrace">How long an agent's replaced identity key still verifies batches (spooled ones).</param>
    public AgentKeyAuthority(AgentRegistry registry, Func<EngineKeyRing> engineKeys, TimeSpan identityKeyGrace, TimeProvider? clock = null)
    {
        _registry = registry ?? throw new ArgumentNullException(nameof(registry));
        _engineKeys = engineKeys ?? throw new ArgumentNullException(nameof(engineKeys));
        if (identityKeyGrace < TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(identityKeyGrace), "the grace period cannot be negative");
        IdentityKeyGrace = identityKeyGrace;
        _clock = clock ?? TimeProvider.System;
    }

    public TimeSpan IdentityKeyGrace { get; }

    /// <summary>The current engine key, proved by the key the agent seals to; records which keys the agent still uses.</summary>
    public EngineKeyResponse HandleEngineKey(string tenant, string agentId, ReadOnlySpan<byte> json)
    {
        if (EnrollmentMessages.Decode<EngineKeyRequest>(json) is not { } request || request.Signature is null || request.Nonce is null || request.EphemeralPublicKey is null || request.SealingKeyId is null)
            return new(false, "malformed engine key request: expected JSON {agent_id, tenant, nonce, ephemeral_public_key, sealing_key_id, pending_key_ids, signed_at, signature}", Codes.BadRequest);
        if (Agent(tenant, agentId, request.AgentId, request.Tenant, out var agent) is { } refused) return new(false, refused.Error, refused.Code);
        if (!SignedBy(agent, request.SignedBytes(), request.Signature))
            return new(false, "the request's signature does not verify with this agent's identity key", Codes.BadRequest);
        var ring = _engineKeys();
        if (!ring.ById.TryGetValue(request.SealingKeyId, out var vouching))
            return new(false, $"engine key '{request.SealingKeyId}' is retired: batches sealed to it are quarantined; enroll this agent again (siem-agent enroll)", Codes.KeyRetired);
        var proof = EngineKeyProof.Prove(vouching, agent.AgentId, request.Nonce, request.EphemeralPublicKey, ring.Current);
        if (proof is null) return new(false, "ephemeral_public_key is not a valid X25519 public key", Codes.BadRequest);
        _registry.ReportEngineKeys(agent.AgentId, request.SealingKeyId, request.PendingKeyIds ?? [], DateTimeOffset.FromUnixTimeMilliseconds(request.SignedAtUnixMs));
        return new(true, null, null, ring.Current.KeyId, Convert.ToBase64String(ring.Current.AgreementPublicKey), proof);
    }

    /// <summary>Registers the agent's new identity key (signed by the old and the new key); the old one verifies until the grace period ends.</summary>
    public RotateResponse HandleRotate(string tenant, string agentId, ReadOnlySpan<byte> json)
    {
        if (EnrollmentMessages.Decode<RotateRequest>(json) is not { } request || request.OldKeySignature is null || request.NewKeySignature is null || request.NewSigningPublicKey is null)
            return new(false, "malformed key rotation request: expected JSON {agent_id, tenant, new_signing_public_key, nonce, signed_at, old_key_signature, new_key_signature}", Codes.BadRequest);
        if (Agent(tenant, agentId, request.AgentId, request.Tenant, out var agent) is { } refused) return new(false, refused.Error, refused.Code);
        byte[] newKey;
        try
        {
            newKey = Convert.FromBase64String(request.NewSigningPublicKey);
        }
        catch (FormatException)
        {
            return new(false, "new_signing_public_key is not base64", Codes.BadRequest);
        }
        var signed = request.SignedBytes();
        if (newKey.Length != 32 || !Ed25519Verify(newKey, signed, request.NewKeySignature))
            return new(false, "new_key_signature does not verify with new_signing_public_key (proof of possession)", Codes.BadRequest);
        if (agent.SigningPublicKey.AsSpan().SequenceEqual(newKey) && agent.PreviousSigningPublicKey is { } replaced && Ed25519Verify(replaced, signed, request.OldKeySignature))
            return new(true, PreviousKeyValidUntil: agent.PreviousKeyValidUntil); // a retry after a lost reply: already done
        if (!Ed25519Verify(agent.SigningPublicKey, signed, request.OldKeySignature))
            return new(false, "old_key_signature does not verify with the agent's registered identity key", Codes.BadRequest);
        var until = _clock.GetUtcNow() + IdentityKeyGrace;
        var record = _registry.RotateSigningKey(agent.AgentId, newKey, until);
        return new(true, PreviousKeyValidUntil: record.PreviousKeyValidUntil);
    }

    /// <summary>The enrolled, not revoked agent the subject names, which the body must name too.</summary>
    private EngineKeyResponse? Agent(string subjectTenant, string subjectAgent, string? bodyAgent, string? bodyTenant, out AgentRecord agent)
    {
        agent = null!;
        if (bodyAgent != subjectAgent || bodyTenant != subjectTenant)
            return new(false, $"the request names agent '{bodyAgent}' (tenant '{bodyTenant}') but came on the subject of '{subjectAgent}' (tenant '{subjectTenant}')", Codes.BadRequest);
        if (!_registry.TryGet(subjectAgent, out agent)) return new(false, $"agent '{subjectAgent}' is not enrolled", Codes.UnknownAgent);
        if (agent.Revoked) return new(false, $"agent '{subjectAgent}' is revoked", Codes.Revoked);
        return agent.Tenant == subjectTenant ? null : new(false, $"agent '{subjectAgent}' is enrolled under tenant '{agent.Tenant}', not '{subjectTenant}'", Codes.BadRequest);
    }

    /// <summary>By the agent's current identity key, or its replaced one within the grace period (a request made just
    /// before the rotation, or by an agent process that has not reloaded its key yet).</summary>
    private bool SignedBy(AgentRecord agent, byte[] message, string signature) =>
        Ed25519Verify(agent.SigningPublicKey, message, signature)
        || (agent.PreviousSigningPublicKey is { } previous && agent.PreviousKeyValidUntil > _clock.GetUtcNow() && Ed25519Verify(previous, message, signature));

    private static bool Ed25519Verify(byte[] publicKey, byte[] message, string signatureBase64)
    {
        try
        {
            return ServerSigningKey.Verify(publicKey, message, Convert.FromBase64String(signatureBase64));
        }
        catch (FormatException)
        {
            return false;
        }
    }
}
