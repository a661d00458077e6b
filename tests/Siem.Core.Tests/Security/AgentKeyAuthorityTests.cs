using Siem.Core.Security;

namespace Siem.Core.Tests.Security;

/// <summary>The engine's decisions on agents' key requests: who may rotate an identity key, and what an agent reports.</summary>
public sealed class AgentKeyAuthorityTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("siem-key-authority-").FullName;
    private readonly AgentRegistry _registry = new();
    private readonly AgentIdentity _agent = AgentIdentity.Create("web-01");
    private readonly FixedClock _clock = new(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
    private readonly AgentKeyAuthority _authority;
    private readonly EngineKeyRing _ring;

    public AgentKeyAuthorityTests()
    {
        _registry.Register(_agent.AgentId, _agent.SigningPublicKey, "acme");
        _ring = EngineKeyRing.Open(_dir, out _);
        _authority = new AgentKeyAuthority(_registry, () => _ring, TimeSpan.FromHours(1), _clock);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Sign(AgentIdentity by, byte[] message)
    {
        var sig = new byte[64];
        by.Sign(message, sig);
        return Convert.ToBase64String(sig);
    }

    private static AgentKeyMessages.RotateRequest Rotation(AgentIdentity old, AgentIdentity next, AgentIdentity? oldSigner = null, AgentIdentity? newSigner = null)
    {
        var request = new AgentKeyMessages.RotateRequest(old.AgentId, "acme", Convert.ToBase64String(next.SigningPublicKey), "bm9uY2U=", 1_700_000_000_000);
        return request with { OldKeySignature = Sign(oldSigner ?? old, request.SignedBytes()), NewKeySignature = Sign(newSigner ?? next, request.SignedBytes()) };
    }

    private AgentKeyMessages.RotateResponse Rotate(AgentKeyMessages.RotateRequest request, string agentId = "web-01") =>
        _authority.HandleRotate("acme", agentId, EnrollmentMessages.Encode(request));

    [Fact]
    public void A_rotation_signed_by_the_old_and_the_new_key_registers_the_new_key_and_keeps_the_old_one_for_the_grace_period()
    {
        var next = AgentIdentity.Create("web-01");

        var response = Rotate(Rotation(_agent, next));

        Assert.True(response.Ok, response.Error);
        Assert.Equal(_clock.GetUtcNow() + TimeSpan.FromHours(1), response.PreviousKeyValidUntil);
        Assert.True(_registry.TryGet("web-01", out var record));
        Assert.Equal(next.SigningPublicKey, record.SigningPublicKey);
        Assert.Equal(_agent.SigningPublicKey, record.PreviousSigningPublicKey);
        // The same request again (its reply was lost) changes nothing and succeeds.
        Assert.True(Rotate(Rotation(_agent, next)).Ok);
        Assert.True(_registry.TryGet("web-01", out var again));
        Assert.Equal(record, again);
    }

    [Fact]
    public void A_rotation_without_the_old_keys_signature_or_the_new_keys_proof_of_possession_is_refused()
    {
        var next = AgentIdentity.Create("web-01");
        var stranger = AgentIdentity.Create("web-01");

        var forged = Rotate(Rotation(_agent, next, oldSigner: stranger));
        var unpossessed = Rotate(Rotation(_agent, next, newSigner: stranger));
        var otherSubject = Rotate(Rotation(_agent, next), agentId: "web-02");

        Assert.Equal("old_key_signature does not verify with the agent's registered identity key", forged.Error);
        Assert.Equal("new_key_signature does not verify with new_signing_public_key (proof of possession)", unpossessed.Error);
        Assert.Equal("the request names agent 'web-01' (tenant 'acme') but came on the subject of 'web-02' (tenant 'acme')", otherSubject.Error);
        Assert.True(_registry.TryGet("web-01", out var record));
        Assert.Equal(_agent.SigningPublicKey, record.SigningPublicKey);
        Assert.Null(record.PreviousSigningPublicKey);
    }

    [Fact]
    public void An_engine_key_check_is_answered_with_a_proof_the_agent_verifies_and_records_the_keys_the_agent_reports()
    {
        var challenge = new EngineKeyProof.Challenge();
        var request = new AgentKeyMessages.EngineKeyRequest("web-01", "acme", challenge.Nonce, challenge.EphemeralPublicKey, _ring.Current.KeyId, ["k0123456789abcdef"], 1_700_000_000_000);
        request = request with { Signature = Sign(_agent, request.SignedBytes()) };

        var response = _authority.HandleEngineKey("acme", "web-01", EnrollmentMessages.Encode(request));
        var unsigned = _authority.HandleEngineKey("acme", "web-01", EnrollmentMessages.Encode(request with { Signature = Sign(AgentIdentity.Create("web-01"), request.SignedBytes()) }));

        Assert.True(response.Ok, response.Error);
        Assert.True(challenge.Verify("web-01", _ring.Current.KeyId, _ring.Current.AgreementPublicKey, response.EngineKeyId!, response.EnginePublicKey!, response.Proof));
        // A proof is bound to the announced key: a different key under the same proof does not verify.
        Assert.False(challenge.Verify("web-01", _ring.Current.KeyId, _ring.Current.AgreementPublicKey, response.EngineKeyId!, Convert.ToBase64String(EngineKeyPair.Create().AgreementPublicKey), response.Proof));
        Assert.Equal("the request's signature does not verify with this agent's identity key", unsigned.Error);
        Assert.True(_registry.TryGet("web-01", out var record));
        Assert.Equal(_ring.Current.KeyId, record.EngineKeyId);
        Assert.Equal(["k0123456789abcdef"], record.PendingEngineKeyIds!);
        Assert.Equal([_ring.Current.KeyId, "k0123456789abcdef"], record.EngineKeysInUse);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
