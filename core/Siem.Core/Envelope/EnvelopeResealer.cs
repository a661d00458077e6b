using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Siem.Core.Security;

namespace Siem.Core.Envelope;

/// <summary>
/// Server side: seals a batch again after a purge removed a subject's records from it. The engine cannot sign as
/// the agent (it never holds the agent's key), so a re-sealed envelope keeps the agent id, key id and batch sequence
/// (the engine's per-agent sequence and replay checks apply to it as to the original) but is signed by the server
/// key and says so in <see cref="HeaderResealedBy"/>. The signature covers <see cref="Domain"/> + canonical header +
/// body, so an agent signature can never be replayed as a reseal or the other way round. The opener accepts it only
/// when it was given that server key. No <c>Nats-Msg-Id</c>: the original's id would be dropped as a duplicate.
/// </summary>
public sealed class EnvelopeResealer
{
    public const string HeaderResealedBy = "Siem-Resealed-By";
    internal static readonly byte[] Domain = Encoding.ASCII.GetBytes("siem-reseal/1\n");

    private readonly ServerSigningKey _server;
    private readonly EngineKeyPair _engineKey;
    private readonly SecureRandom _random = OsRandom.Create();

    public EnvelopeResealer(ServerSigningKey server, EngineKeyPair engineKey)
    {
        _server = server ?? throw new ArgumentNullException(nameof(server));
        _engineKey = engineKey ?? throw new ArgumentNullException(nameof(engineKey));
    }

    /// <summary>Headers and body of the re-sealed batch, encrypted to the engine key it was originally sealed to.</summary>
    public SealedEnvelope Reseal(string agentId, ulong batchSeq, ReadOnlySpan<byte> plaintext)
    {
        AgentIdValidator.Validate(agentId);
        // The server-key signature below is its own scheme (domain-separated pure Ed25519); the batch is labelled with
        // the legacy algorithm, whose canonical header it is bound to.
        var header = EnvelopeFormat.CanonicalHeader(agentId, _engineKey.KeyId, batchSeq, EnvelopeFormat.LegacyAlgorithm);
        var body = new byte[EnvelopeFormat.Overhead + plaintext.Length];
        X25519PrivateKeyParameters ephemeral;
        lock (_random) ephemeral = new X25519PrivateKeyParameters(_random);
        ephemeral.GeneratePublicKey().Encode(body, 0);
        var shared = new byte[32];
        ephemeral.GenerateSecret(new X25519PublicKeyParameters(_engineKey.AgreementPublicKey, 0), shared, 0);
        var span = body.AsSpan();
        var nonce = span.Slice(EnvelopeFormat.EphemeralKeySize, EnvelopeFormat.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        Span<byte> key = stackalloc byte[32];
        EnvelopeFormat.DeriveKey(shared, span[..EnvelopeFormat.EphemeralKeySize], _engineKey.AgreementPublicKey, header, key);
        Array.Clear(shared);
        using (var aes = new AesGcm(key, EnvelopeFormat.TagSize))
        {
            int at = EnvelopeFormat.EphemeralKeySize + EnvelopeFormat.NonceSize;
            aes.Encrypt(nonce, plaintext, span.Slice(at, plaintext.Length), span.Slice(at + plaintext.Length, EnvelopeFormat.TagSize), header);
        }
        key.Clear();
        int signedBody = body.Length - EnvelopeFormat.SignatureSize;
        _server.Sign(SignedMessage(header, span[..signedBody])).CopyTo(span[signedBody..]);
        var headers = new KeyValuePair<string, string>[]
        {
            new(EnvelopeFormat.HeaderAgent, agentId),
            new(EnvelopeFormat.HeaderKeyId, _engineKey.KeyId),
            new(EnvelopeFormat.HeaderBatchSeq, batchSeq.ToString(CultureInfo.InvariantCulture)),
            new(EnvelopeFormat.HeaderAlg, EnvelopeFormat.LegacyAlgorithm),
            new(HeaderResealedBy, _server.KeyId),
        };
        return new SealedEnvelope(headers, body, "") { BatchSeq = batchSeq };
    }

    internal static byte[] SignedMessage(byte[] canonicalHeader, ReadOnlySpan<byte> signedBody)
    {
        var msg = new byte[Domain.Length + canonicalHeader.Length + signedBody.Length];
        Domain.CopyTo(msg, 0);
        canonicalHeader.CopyTo(msg, Domain.Length);
        signedBody.CopyTo(msg.AsSpan(Domain.Length + canonicalHeader.Length));
        return msg;
    }
}
