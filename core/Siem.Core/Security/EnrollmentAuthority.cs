using System.Security.Cryptography;
using System.Text;

namespace Siem.Core.Security;

/// <summary>
/// Engine-side decision for one enrollment request, transport-free (the NATS responder is a thin loop around
/// it): token check in constant time against every configured token, then registration in the
/// <see cref="AgentRegistry"/>, then the engine's current public key and the agent's subject.
/// Replies never echo the token; failures say what to fix.
/// </summary>
public sealed class EnrollmentAuthority
{
    private readonly AgentRegistry _registry;
    private readonly Func<EngineKeyPair> _currentKey;
    private readonly byte[][] _tokenHashes;

    public EnrollmentAuthority(AgentRegistry registry, EngineKeyPair currentKey, IEnumerable<string> enrollmentTokens)
        : this(registry, () => currentKey, enrollmentTokens)
    {
        ArgumentNullException.ThrowIfNull(currentKey);
    }

    /// <param name="currentKey">The engine's current key as it is now (a rotation changes it while the engine runs).</param>
    public EnrollmentAuthority(AgentRegistry registry, Func<EngineKeyPair> currentKey, IEnumerable<string> enrollmentTokens)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(currentKey);
        ArgumentNullException.ThrowIfNull(enrollmentTokens);
        _registry = registry;
        _currentKey = currentKey;
        // Comparing SHA-256 digests makes every comparison the same length, so timing reveals neither content nor length.
        _tokenHashes = [.. enrollmentTokens.Where(t => !string.IsNullOrEmpty(t)).Select(t => SHA256.HashData(Encoding.UTF8.GetBytes(t)))];
    }

    public EnrollmentMessages.Response Handle(ReadOnlySpan<byte> requestJson) =>
        EnrollmentMessages.Decode<EnrollmentMessages.Request>(requestJson) is { } request
            ? Handle(request)
            : new(false, "malformed enrollment request: expected JSON {token, agent_id, hostname, signing_public_key, tenant}");

    public EnrollmentMessages.Response Handle(EnrollmentMessages.Request request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!TokenMatches(request.Token ?? "")) return new(false, "enrollment token refused");
        if (!AgentIdValidator.IsValid(request.AgentId)) return new(false, $"invalid agent_id '{request.AgentId}': use 1-{AgentIdValidator.MaxLength} characters from A-Z a-z 0-9 - _");
        if (!AgentIdValidator.IsValid(request.Tenant)) return new(false, $"invalid tenant '{request.Tenant}': use 1-{AgentIdValidator.MaxLength} characters from A-Z a-z 0-9 - _");
        byte[] key;
        try
        {
            key = Convert.FromBase64String(request.SigningPublicKey ?? "");
        }
        catch (FormatException)
        {
            return new(false, "signing_public_key is not base64");
        }
        if (key.Length != 32) return new(false, $"signing_public_key must be a 32-byte Ed25519 key, got {key.Length} bytes");
        if (_registry.TryGet(request.AgentId, out var existing))
        {
            if (existing.Revoked) return new(false, $"agent '{request.AgentId}' is revoked; enroll under a new agent id");
            if (!existing.SigningPublicKey.AsSpan().SequenceEqual(key))
                return new(false, $"agent id '{request.AgentId}' is already enrolled with a different key; revoke it first or choose another id");
        }
        var current = _currentKey();
        try
        {
            _registry.Register(request.AgentId, key, request.Tenant, request.HostName, current.KeyId);
        }
        catch (AgentEnrollmentConflictException conflict)
        {
            // Another host enrolled the id with another key at the same moment (or before this host heard of it).
            return new(false, conflict.Message);
        }
        return new(true, null, current.KeyId, Convert.ToBase64String(current.AgreementPublicKey), EnrollmentMessages.EventsSubject(request.Tenant, request.AgentId));
    }

    private bool TokenMatches(string token)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        var match = false;
        foreach (var expected in _tokenHashes) match |= CryptographicOperations.FixedTimeEquals(hash, expected);
        return match;
    }
}
