using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Collectors.Enrollment;

/// <summary>
/// Agent side of <c>siem.keys.&lt;tenant&gt;.&lt;agent&gt;.engine</c>: asks which engine key to seal to, reporting the key
/// it seals to and the earlier keys its spooled batches still need, and accepts an answer only when the engine key it
/// already trusts vouches for it (<see cref="EngineKeyProof"/>).
/// </summary>
public static class EngineKeyClient
{
    /// <summary>The engine's current key (the same as <paramref name="state"/>'s when nothing changed).</summary>
    /// <exception cref="EnrollmentException">The engine refused (<see cref="EnrollmentException.Code"/>, e.g. key_retired) or its answer is not proved.</exception>
    /// <exception cref="NatsException">No engine answered (no responders, timeout, disconnected).</exception>
    public static async Task<(string KeyId, byte[] PublicKey)> CheckAsync(NatsConnection connection, AgentIdentity identity, EnrollmentState state,
        IReadOnlyList<string> pendingKeyIds, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(identity);
        ArgumentNullException.ThrowIfNull(state);
        var challenge = new EngineKeyProof.Challenge();
        var request = new AgentKeyMessages.EngineKeyRequest(state.AgentId, state.Tenant, challenge.Nonce, challenge.EphemeralPublicKey, state.EngineKeyId,
            pendingKeyIds, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var signature = new byte[64];
        identity.Sign(request.SignedBytes(), signature);
        request = request with { Signature = Convert.ToBase64String(signature) };
        var reply = await connection.RequestAsync(AgentKeyMessages.Subject(state.Tenant, state.AgentId, AgentKeyMessages.EngineKeyOperation),
            EnrollmentMessages.Encode(request), timeout: timeout, cancellationToken: cancellationToken).ConfigureAwait(false);
        var response = EnrollmentMessages.Decode<AgentKeyMessages.EngineKeyResponse>(reply.Data.Span)
            ?? throw new EnrollmentException("the engine's key reply is not valid JSON");
        if (!response.Ok) throw new EnrollmentException($"engine key check refused: {response.Error}") { Code = response.Code };
        if (response.EngineKeyId is null || response.EnginePublicKey is null || !AgentIdValidator.IsValid(response.EngineKeyId))
            throw new EnrollmentException("the engine's key reply lacks engine_key_id or engine_public_key");
        if (!challenge.Verify(state.AgentId, state.EngineKeyId, state.EnginePublicKeyBytes, response.EngineKeyId, response.EnginePublicKey, response.Proof))
            throw new EnrollmentException($"the key announcement is not proved by engine key {state.EngineKeyId}: ignored (someone other than the engine answered?)") { Code = "unproved" };
        var publicKey = Convert.FromBase64String(response.EnginePublicKey);
        return publicKey.Length == 32 ? (response.EngineKeyId, publicKey) : throw new EnrollmentException("the engine's announced public key does not have 32 bytes");
    }
}
