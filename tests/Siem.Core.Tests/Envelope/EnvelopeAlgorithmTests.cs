using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Siem.Core.Envelope;

namespace Siem.Core.Tests.Envelope;

/// <summary>
/// Agents sign with Ed25519ph (one BCL SHA-512 pass over the batch); batches sealed by agents before that change
/// (pure Ed25519) are still in spools and streams and must keep opening.
/// </summary>
public sealed class EnvelopeAlgorithmTests
{
    private static readonly byte[] Batch = Encoding.UTF8.GetBytes("{\"record_id\":\"a\"}\n{\"record_id\":\"b\"}\n");

    [Fact]
    public void Agent_seals_with_the_ed25519ph_algorithm()
    {
        var kit = new EnvelopeTestKit();
        var headers = kit.Sealer.Seal(5, Batch).Headers.ToDictionary(h => h.Key, h => h.Value);
        Assert.Equal("x25519-hkdf-sha256-aes256gcm-ed25519ph", headers["Siem-Alg"]);
    }

    [Fact]
    public void Batch_sealed_with_the_legacy_pure_ed25519_algorithm_still_opens()
    {
        var kit = new EnvelopeTestKit();
        var (headers, body) = SealLegacy(kit, 11, Batch);

        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(headers), body);

        Assert.True(result.Ok, result.Detail);
        Assert.Equal(11UL, result.BatchSeq);
        Assert.Equal(Batch, result.Plaintext);
    }

    [Fact]
    public void Relabelling_the_algorithm_header_breaks_the_signature()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(3, Batch);
        var relabelled = sealedEnvelope.Headers
            .Select(h => h.Key == EnvelopeFormat.HeaderAlg ? new KeyValuePair<string, string>(h.Key, EnvelopeFormat.LegacyAlgorithm) : h)
            .ToList();

        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(relabelled), sealedEnvelope.Body);

        Assert.False(result.Ok);
        Assert.Equal(EnvelopeFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void Legacy_batch_relabelled_as_ed25519ph_fails_verification()
    {
        var kit = new EnvelopeTestKit();
        var (headers, body) = SealLegacy(kit, 4, Batch);
        var relabelled = headers
            .Select(h => h.Key == EnvelopeFormat.HeaderAlg ? new KeyValuePair<string, string>(h.Key, EnvelopeFormat.Algorithm) : h)
            .ToList();

        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(relabelled), body);

        Assert.Equal(EnvelopeFailure.BadSignature, result.Failure);
    }

    [Fact]
    public void Unknown_algorithm_is_malformed_and_names_both_supported_ones()
    {
        var kit = new EnvelopeTestKit();
        var sealedEnvelope = kit.Sealer.Seal(2, Batch);
        var other = sealedEnvelope.Headers
            .Select(h => h.Key == EnvelopeFormat.HeaderAlg ? new KeyValuePair<string, string>(h.Key, "rot13") : h)
            .ToList();

        var result = kit.Opener.Open(EnvelopeTestKit.HeaderLookup(other), sealedEnvelope.Body);

        Assert.Equal(EnvelopeFailure.Malformed, result.Failure);
        Assert.Contains("'rot13'", result.Detail, StringComparison.Ordinal);
        Assert.Contains(EnvelopeFormat.Algorithm, result.Detail, StringComparison.Ordinal);
        Assert.Contains(EnvelopeFormat.LegacyAlgorithm, result.Detail, StringComparison.Ordinal);
    }

    /// <summary>The envelope as agents sealed it before Ed25519ph, written out from the format description (not with the sealer).</summary>
    private static (List<KeyValuePair<string, string>> Headers, byte[] Body) SealLegacy(EnvelopeTestKit kit, ulong seq, byte[] plaintext)
    {
        var agentId = kit.Agent.AgentId;
        var keyId = kit.EngineKey.KeyId;
        var header = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"siem-envelope/1\n{EnvelopeFormat.LegacyAlgorithm}\n{agentId}\n{keyId}\n{seq}\n"));
        var body = new byte[EnvelopeFormat.Overhead + plaintext.Length];
        var ephemeral = new X25519PrivateKeyParameters(new SecureRandom());
        ephemeral.GeneratePublicKey().Encode(body, 0);
        var shared = new byte[32];
        ephemeral.GenerateSecret(new X25519PublicKeyParameters(kit.EngineKey.AgreementPublicKey, 0), shared, 0);
        var salt = new byte[64];
        body.AsSpan(0, 32).CopyTo(salt);
        kit.EngineKey.AgreementPublicKey.CopyTo(salt, 32);
        var key = new byte[32];
        HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, key, salt, header);
        var nonce = body.AsSpan(32, 12);
        RandomNumberGenerator.Fill(nonce);
        using (var aes = new AesGcm(key, 16))
        {
            aes.Encrypt(nonce, plaintext, body.AsSpan(44, plaintext.Length), body.AsSpan(44 + plaintext.Length, 16), header);
        }
        var signed = body.Length - 64;
        kit.Agent.Sign([.. header, .. body.AsSpan(0, signed)], body.AsSpan(signed));
        var headers = new List<KeyValuePair<string, string>>
        {
            new(EnvelopeFormat.HeaderAgent, agentId),
            new(EnvelopeFormat.HeaderKeyId, keyId),
            new(EnvelopeFormat.HeaderBatchSeq, seq.ToString(CultureInfo.InvariantCulture)),
            new(EnvelopeFormat.HeaderAlg, EnvelopeFormat.LegacyAlgorithm),
            new(EnvelopeFormat.HeaderMsgId, EnvelopeFormat.MsgId(agentId, seq)),
        };
        return (headers, body);
    }
}
