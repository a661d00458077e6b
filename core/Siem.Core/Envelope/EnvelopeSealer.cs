using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Siem.Core.Security;

namespace Siem.Core.Envelope;

/// <summary>
/// Agent side: seals one batch for the engine. A fresh ephemeral X25519 key per batch gives forward secrecy
/// per batch (a leaked agent host cannot decrypt what it already sent); the agent's Ed25519 identity signs.
/// Thread-safe (no mutable state besides the CSPRNG).
/// </summary>
public sealed class EnvelopeSealer
{
    private readonly AgentIdentity _agent;
    private readonly byte[] _enginePublicKey;
    private readonly X25519PublicKeyParameters _enginePublic;
    private readonly string _engineKeyId;
    private readonly SecureRandom _random = OsRandom.Create();

    public EnvelopeSealer(AgentIdentity agent, byte[] engineAgreementPublicKey, string engineKeyId)
    {
        ArgumentNullException.ThrowIfNull(agent);
        ArgumentNullException.ThrowIfNull(engineAgreementPublicKey);
        if (engineAgreementPublicKey.Length != EngineKeyPair.KeySize)
            throw new ArgumentException("an X25519 public key has 32 bytes", nameof(engineAgreementPublicKey));
        AgentIdValidator.Validate(engineKeyId, "engine key id");
        _agent = agent;
        _enginePublicKey = [.. engineAgreementPublicKey];
        _enginePublic = new X25519PublicKeyParameters(_enginePublicKey, 0);
        _engineKeyId = engineKeyId;
    }

    public string EngineKeyId => _engineKeyId;

    public SealedEnvelope Seal(ulong batchSeq, ReadOnlySpan<byte> plaintext)
    {
        var header = EnvelopeFormat.CanonicalHeader(_agent.AgentId, _engineKeyId, batchSeq);
        // The body is allocated once at its final size: the prehash signature needs no contiguous header | body copy.
        var bodyArray = new byte[EnvelopeFormat.Overhead + plaintext.Length];
        var body = bodyArray.AsSpan();

        X25519PrivateKeyParameters ephemeral;
        lock (_random) ephemeral = new X25519PrivateKeyParameters(_random);
        ephemeral.GeneratePublicKey().Encode(bodyArray, 0);
        var shared = new byte[32];
        ephemeral.GenerateSecret(_enginePublic, shared, 0);

        var ephemeralPublic = body[..EnvelopeFormat.EphemeralKeySize];
        var nonce = body.Slice(EnvelopeFormat.EphemeralKeySize, EnvelopeFormat.NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var cipher = body.Slice(EnvelopeFormat.EphemeralKeySize + EnvelopeFormat.NonceSize, plaintext.Length);
        var tag = body.Slice(EnvelopeFormat.EphemeralKeySize + EnvelopeFormat.NonceSize + plaintext.Length, EnvelopeFormat.TagSize);

        Span<byte> key = stackalloc byte[32];
        EnvelopeFormat.DeriveKey(shared, ephemeralPublic, _enginePublicKey, header, key);
        Array.Clear(shared);
        using (var aes = new AesGcm(key, EnvelopeFormat.TagSize))
        {
            aes.Encrypt(nonce, plaintext, cipher, tag, header);
        }
        key.Clear();

        var signedLength = body.Length - EnvelopeFormat.SignatureSize;
        _agent.SignPrehash(EnvelopeFormat.SignatureContext, EnvelopeFormat.Prehash(header, body[..signedLength]), body[signedLength..]);

        var msgId = EnvelopeFormat.MsgId(_agent.AgentId, batchSeq);
        var headers = new KeyValuePair<string, string>[]
        {
            new(EnvelopeFormat.HeaderAgent, _agent.AgentId),
            new(EnvelopeFormat.HeaderKeyId, _engineKeyId),
            new(EnvelopeFormat.HeaderBatchSeq, batchSeq.ToString(CultureInfo.InvariantCulture)),
            new(EnvelopeFormat.HeaderAlg, EnvelopeFormat.Algorithm),
            new(EnvelopeFormat.HeaderMsgId, msgId),
        };
        return new SealedEnvelope(headers, bodyArray, msgId) { BatchSeq = batchSeq };
    }
}
