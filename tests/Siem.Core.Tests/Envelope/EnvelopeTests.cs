using System.Text;
using Siem.Core.Envelope;
using Siem.Core.Security;

namespace Siem.Core.Tests.Envelope;

public sealed class EnvelopeTests
{
    private static readonly byte[] Batch = Encoding.UTF8.GetBytes("{\"record_id\":\"a\"}\n{\"record_id\":\"b\"}\n");

    [Fact]
    public void Sealed_batch_opens_to_the_same_plaintext_with_agent_and_sequence()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(42, Batch);

        var result = kit.Open(sealedEnvelope);

        Assert.True(result.Ok, result.Detail);
        Assert.Equal(EnvelopeFailure.None, result.Failure);
        Assert.Equal("web-01", result.AgentId);
        Assert.Equal("acme", result.Tenant);
        Assert.Equal(42UL, result.BatchSeq);
        Assert.Equal(Batch, result.Plaintext);
        Assert.Equal("web-01:42", sealedEnvelope.MsgId);
        Assert.Equal(Batch.Length + EnvelopeFormat.Overhead, sealedEnvelope.Body.Length);
    }

    [Fact]
    public void Headers_carry_agent_key_id_sequence_algorithm_and_nats_msg_id()
    {
        var kit = new EnvelopeTestKit();
        var headers = kit.Sealer.Seal(7, Batch).Headers.ToDictionary(h => h.Key, h => h.Value);

        Assert.Equal("web-01", headers["Siem-Agent"]);
        Assert.Equal(kit.EngineKey.KeyId, headers["Siem-Key-Id"]);
        Assert.Equal("7", headers["Siem-Batch-Seq"]);
        Assert.Equal("x25519-hkdf-sha256-aes256gcm-ed25519ph", headers["Siem-Alg"]);
        Assert.Equal("web-01:7", headers["Nats-Msg-Id"]);
    }

    [Fact]
    public void Empty_batch_round_trips()
    {
        var kit = new EnvelopeTestKit();
        var result = kit.Open(kit.Sealer.Seal(1, []));
        Assert.True(result.Ok, result.Detail);
        Assert.Empty(result.Plaintext!);
    }

    [Fact]
    public void Two_seals_of_the_same_batch_differ_because_each_uses_a_fresh_ephemeral_key()
    {
        var kit = new EnvelopeTestKit();
        Assert.NotEqual(kit.Sealer.Seal(1, Batch).Body, kit.Sealer.Seal(1, Batch).Body);
    }

    [Fact]
    public void Plaintext_does_not_appear_in_the_body()
    {
        var kit = new EnvelopeTestKit();
        var plaintext = Encoding.UTF8.GetBytes("password=hunter2 user=alice ssh login from 10.0.0.1");
        var body = kit.Sealer.Seal(3, plaintext).Body;
        Assert.Equal(-1, body.AsSpan().IndexOf("hunter2"u8));
    }

    [Fact]
    public void Every_single_flipped_byte_of_the_body_is_a_signature_failure()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(9, Batch);
        for (var i = 0; i < sealedEnvelope.Body.Length; i++)
        {
            var body = (byte[])sealedEnvelope.Body.Clone();
            body[i] ^= 0x01;
            var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(sealedEnvelope.Headers), body);
            Assert.False(result.Ok);
            Assert.Equal(EnvelopeFailure.BadSignature, result.Failure);
        }
    }

    [Theory]
    [InlineData("Siem-Batch-Seq", "10", EnvelopeFailure.BadSignature)]
    [InlineData("Siem-Key-Id", "kother", EnvelopeFailure.UnknownKey)]
    [InlineData("Siem-Agent", "web-02", EnvelopeFailure.UnknownAgent)]
    [InlineData("Siem-Alg", "aes128", EnvelopeFailure.Malformed)]
    [InlineData("Siem-Batch-Seq", "-1", EnvelopeFailure.Malformed)]
    [InlineData("Nats-Msg-Id", "web-01:10", EnvelopeFailure.Malformed)]
    public void A_changed_header_is_refused(string name, string value, EnvelopeFailure expected)
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(9, Batch);
        var headers = sealedEnvelope.Headers.ToDictionary(h => h.Key, h => h.Value);
        headers[name] = value;
        // A forger keeps Nats-Msg-Id consistent with the forged agent/sequence.
        if (name != "Nats-Msg-Id") headers["Nats-Msg-Id"] = $"{headers["Siem-Agent"]}:{headers["Siem-Batch-Seq"]}";

        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(headers), sealedEnvelope.Body);

        Assert.False(result.Ok);
        Assert.Equal(expected, result.Failure);
    }

    [Fact]
    public void A_changed_header_signed_again_by_the_same_agent_still_fails_to_decrypt()
    {
        // The canonical header is also the AEAD associated data: re-signing cannot move a batch to another sequence.
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(9, Batch);
        var other = kit.Sealer.Seal(10, Batch);
        var spliced = (byte[])sealedEnvelope.Body.Clone();
        other.Body.AsSpan(other.Body.Length - 64).CopyTo(spliced.AsSpan(spliced.Length - 64));
        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(other.Headers), spliced);
        Assert.Equal(EnvelopeFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void Missing_headers_are_malformed()
    {
        var kit = new EnvelopeTestKit();
        var result = kit.Opener.Open(_ => null, kit.Sealer.Seal(1, Batch).Body);
        Assert.Equal(EnvelopeFailure.Malformed, result.Failure);
        Assert.Contains("Siem-Agent", result.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Truncated_body_is_malformed()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(1, Batch);
        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(sealedEnvelope.Headers), sealedEnvelope.Body.AsSpan(0, EnvelopeFormat.Overhead - 1));
        Assert.Equal(EnvelopeFailure.Malformed, result.Failure);
    }

    [Fact]
    public void Sealed_to_another_engine_key_under_the_same_key_id_fails_to_decrypt()
    {
        var kit = new EnvelopeTestKit();
        var stranger = EngineKeyPair.Create();
        var sealer = new EnvelopeSealer(kit.Agent, stranger.AgreementPublicKey, kit.EngineKey.KeyId);

        var result = kit.Open(sealer.Seal(5, Batch));

        Assert.False(result.Ok);
        Assert.Equal(EnvelopeFailure.DecryptFailed, result.Failure);
        Assert.Null(result.Plaintext);
    }

    [Fact]
    public void Sealed_to_a_key_id_the_engine_does_not_hold_is_unknown_key()
    {
        var kit = new EnvelopeTestKit();
        var stranger = EngineKeyPair.Create();
        var result = kit.Open(new EnvelopeSealer(kit.Agent, stranger.AgreementPublicKey, stranger.KeyId).Seal(5, Batch));
        Assert.Equal(EnvelopeFailure.UnknownKey, result.Failure);
    }

    [Fact]
    public void Opener_holding_several_keys_opens_batches_sealed_to_each_of_them()
    {
        var kit = new EnvelopeTestKit();
        var newer = EngineKeyPair.Create();
        var opener = new EnvelopeOpener(new Dictionary<string, EngineKeyPair> { [kit.EngineKey.KeyId] = kit.EngineKey, [newer.KeyId] = newer }, kit.Registry);
        var oldBatch = kit.Sealer.Seal(1, Batch);
        var newBatch = new EnvelopeSealer(kit.Agent, newer.AgreementPublicKey, newer.KeyId).Seal(2, Batch);

        Assert.True(opener.Open(EnvelopeTestKit.HeaderLookup(oldBatch.Headers), oldBatch.Body).Ok);
        Assert.True(opener.Open(EnvelopeTestKit.HeaderLookup(newBatch.Headers), newBatch.Body).Ok);
    }

    [Fact]
    public void Unenrolled_agent_is_unknown_agent()
    {
        var kit = new EnvelopeTestKit();
        var intruder = AgentIdentity.Create("intruder");
        var result = kit.Open(new EnvelopeSealer(intruder, kit.EngineKey.AgreementPublicKey, kit.EngineKey.KeyId).Seal(1, Batch));
        Assert.Equal(EnvelopeFailure.UnknownAgent, result.Failure);
    }

    [Fact]
    public void Another_agent_signing_under_an_enrolled_id_is_a_bad_signature()
    {
        var kit = new EnvelopeTestKit();
        var impostor = AgentIdentity.Create("web-01");
        var result = kit.Open(new EnvelopeSealer(impostor, kit.EngineKey.AgreementPublicKey, kit.EngineKey.KeyId).Seal(1, Batch));
        Assert.Equal(EnvelopeFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void Revoked_agent_batches_fail_to_open_even_when_sealed_before_revocation()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(1, Batch);
        Assert.True(kit.Registry.Revoke("web-01"));

        var result = kit.Open(sealedEnvelope);

        Assert.Equal(EnvelopeFailure.RevokedAgent, result.Failure);
        Assert.Null(result.Plaintext);
    }
}
