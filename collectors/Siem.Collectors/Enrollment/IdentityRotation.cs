using System.Security.Cryptography;
using Siem.Core.Security;
using Siem.Nats;

namespace Siem.Collectors.Enrollment;

/// <summary>
/// <c>siem-agent rotate-key</c>: a new Ed25519 identity key, registered with the engine by a request signed with the
/// old key (authority) and the new one (possession). The new key is written to <c>identity.next.json</c> (0600) first and
/// moved over <c>identity.json</c> only after the engine confirmed, so a failure at any point leaves a working agent; a
/// retry reuses the pending key. A running agent notices the new <c>identity.json</c> and signs with it from then on;
/// batches it signed with the old key are accepted for the engine's grace period, then quarantined.
/// </summary>
public static class IdentityRotation
{
    public sealed record Result(string AgentId, string OldFingerprint, string NewFingerprint, DateTimeOffset? OldKeyValidUntil);

    public static async Task<Result> RotateAsync(NatsConnection connection, string stateDir, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(connection);
        var state = EnrollmentState.Load(stateDir);
        var identityPath = Path.Combine(stateDir, EnrollmentState.IdentityFile);
        var current = AgentIdentity.Load(identityPath);
        if (current.AgentId != state.AgentId)
            throw new EnrollmentException($"{identityPath} belongs to agent '{current.AgentId}' but {EnrollmentState.StateFile} to '{state.AgentId}'; enroll again");
        var nextPath = Path.Combine(stateDir, EnrollmentState.NextIdentityFile);
        AgentIdentity next;
        if (File.Exists(nextPath))
        {
            next = AgentIdentity.Load(nextPath);
            if (next.AgentId != state.AgentId) throw new EnrollmentException($"{nextPath} belongs to agent '{next.AgentId}'; delete it and run rotate-key again");
        }
        else
        {
            next = AgentIdentity.Create(state.AgentId);
            next.Save(nextPath);
        }

        var request = new AgentKeyMessages.RotateRequest(state.AgentId, state.Tenant, Convert.ToBase64String(next.SigningPublicKey),
            Convert.ToBase64String(RandomNumberGenerator.GetBytes(16)), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        var signed = request.SignedBytes();
        var oldSignature = new byte[64];
        var newSignature = new byte[64];
        current.Sign(signed, oldSignature);
        next.Sign(signed, newSignature);
        request = request with { OldKeySignature = Convert.ToBase64String(oldSignature), NewKeySignature = Convert.ToBase64String(newSignature) };
        NatsMsg reply;
        try
        {
            reply = await connection.RequestAsync(AgentKeyMessages.Subject(state.Tenant, state.AgentId, AgentKeyMessages.RotateOperation),
                EnrollmentMessages.Encode(request), timeout: timeout ?? TimeSpan.FromSeconds(10), cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsNoRespondersException e)
        {
            throw new EnrollmentException($"no engine answers key requests at {connection.Opts.Servers[0]}: is an engine running? (the new key waits in {nextPath}; run rotate-key again)", e);
        }
        catch (NatsTimeoutException e)
        {
            throw new EnrollmentException($"the engine did not answer the rotation in time ({e.Message}); run rotate-key again (it reuses {nextPath})", e);
        }
        var response = EnrollmentMessages.Decode<AgentKeyMessages.RotateResponse>(reply.Data.Span)
            ?? throw new EnrollmentException("the engine's rotation reply is not valid JSON");
        if (!response.Ok) throw new EnrollmentException($"key rotation refused by the engine: {response.Error}") { Code = response.Code };
        // Confirmed: the new key becomes the identity (atomic rename, 0600); the pending copy goes.
        next.Save(identityPath);
        File.Delete(nextPath);
        return new Result(state.AgentId, Fingerprint(current.SigningPublicKey), Fingerprint(next.SigningPublicKey), response.PreviousKeyValidUntil);
    }

    /// <summary>A short, stable name for a public key an operator can compare (first 8 bytes of SHA-256, hex).</summary>
    public static string Fingerprint(byte[] publicKey) => Convert.ToHexStringLower(SHA256.HashData(publicKey).AsSpan(0, 8));
}
