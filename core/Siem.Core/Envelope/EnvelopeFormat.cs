using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Siem.Core.Envelope;

/// <summary>
/// Wire format shared by sealer and opener. Body = ephemeral X25519 public key (32) | nonce (12) | ciphertext | tag (16)
/// | signature (64). The canonical header (below) is signed, used as AES-GCM associated data and as HKDF info,
/// so changing any header (agent, key id, sequence, algorithm) breaks both the signature and decryption.
/// Signature by algorithm: <see cref="Algorithm"/> (the agent's default) = Ed25519ph (RFC 8032, context
/// <see cref="SignatureContext"/>) over SHA-512(canonical header | body up to the signature);
/// <see cref="LegacyAlgorithm"/> = pure Ed25519 over canonical header | body up to the signature. Pure Ed25519 hashes
/// the whole batch twice with BouncyCastle's managed SHA-512; the prehash variant hashes it once with the BCL's
/// (OpenSSL) SHA-512, which took the agent's signing cost per line from most of the seal to a small part of it.
/// Openers accept both, so batches spooled or stored before an agent upgrade still verify.
/// </summary>
public static class EnvelopeFormat
{
    public const string HeaderAgent = "Siem-Agent";
    public const string HeaderKeyId = "Siem-Key-Id";
    public const string HeaderBatchSeq = "Siem-Batch-Seq";
    public const string HeaderAlg = "Siem-Alg";
    public const string HeaderMsgId = "Nats-Msg-Id";
    public const string Algorithm = "x25519-hkdf-sha256-aes256gcm-ed25519ph";
    public const string LegacyAlgorithm = "x25519-hkdf-sha256-aes256gcm";
    internal static readonly byte[] SignatureContext = "siem-envelope/2"u8.ToArray();

    public const int EphemeralKeySize = 32;
    public const int NonceSize = 12;
    public const int TagSize = 16;
    public const int SignatureSize = 64;
    public const int Overhead = EphemeralKeySize + NonceSize + TagSize + SignatureSize;

    public static string MsgId(string agentId, ulong batchSeq) => string.Create(CultureInfo.InvariantCulture, $"{agentId}:{batchSeq}");

    /// <summary>"siem-envelope/1\n{alg}\n{agent}\n{keyId}\n{seq}\n" in UTF-8. Ids are restricted to [A-Za-z0-9_-], so the form is unambiguous.</summary>
    internal static byte[] CanonicalHeader(string agentId, string keyId, ulong batchSeq, string algorithm = Algorithm) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"siem-envelope/1\n{algorithm}\n{agentId}\n{keyId}\n{batchSeq}\n"));

    /// <summary>The Ed25519ph prehash: SHA-512 of canonical header | signed part of the body, without joining them.</summary>
    internal static byte[] Prehash(ReadOnlySpan<byte> canonicalHeader, ReadOnlySpan<byte> signedBody)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA512);
        sha.AppendData(canonicalHeader);
        sha.AppendData(signedBody);
        return sha.GetHashAndReset();
    }

    /// <summary>HKDF-SHA256: salt = ephemeral public key | engine public key, info = canonical header → AES-256 key.</summary>
    internal static void DeriveKey(ReadOnlySpan<byte> sharedSecret, ReadOnlySpan<byte> ephemeralPublic, ReadOnlySpan<byte> enginePublic, ReadOnlySpan<byte> canonicalHeader, Span<byte> key)
    {
        Span<byte> salt = stackalloc byte[EphemeralKeySize * 2];
        ephemeralPublic.CopyTo(salt);
        enginePublic.CopyTo(salt[EphemeralKeySize..]);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, sharedSecret, key, salt, canonicalHeader);
    }
}
