using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Siem.Core.Security;

/// <summary>
/// How an engine key travels to engines on other hosts (over NATS, see <c>Siem.Engine.Keys.EngineKeyDistribution</c>)
/// without its private half ever being readable on the wire: it is sealed with AES-256-GCM under a key derived (HKDF)
/// from the private half of another engine key — one every engine of the deployment already holds, because the
/// operator gave each engine the same first key. Only a holder of that key can open it, and the AEAD also proves that a
/// holder made it (the key id, public key and creation time are authenticated), so nobody else on the bus can slip an
/// engine a key of theirs. Consequence: whoever holds one engine key can read every key wrapped under it; after a key
/// compromise, rotate by hand on every host instead (documented in <c>deploy/README.md</c>).
/// </summary>
public static class EngineKeyWrap
{
    private const int NonceSize = 12;
    private const int TagSize = 16;
    private static readonly byte[] Context = "siem-engine-key-wrap-v1"u8.ToArray();

    /// <summary><paramref name="key"/>'s private half sealed under <paramref name="wrapping"/>: base64(nonce | ciphertext | tag).</summary>
    public static string Wrap(EngineKeyPair wrapping, EngineKeyPair key)
    {
        ArgumentNullException.ThrowIfNull(wrapping);
        ArgumentNullException.ThrowIfNull(key);
        var secret = key.PrivateKeyBytes();
        var sealedKey = new byte[NonceSize + secret.Length + TagSize];
        var nonce = sealedKey.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var wrapKey = DeriveKey(wrapping);
        try
        {
            using var aes = new AesGcm(wrapKey, TagSize);
            aes.Encrypt(nonce, secret, sealedKey.AsSpan(NonceSize, secret.Length), sealedKey.AsSpan(NonceSize + secret.Length), AssociatedData(wrapping.KeyId, key.KeyId, key.AgreementPublicKey, key.CreatedAt));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
            CryptographicOperations.ZeroMemory(secret);
        }
        return Convert.ToBase64String(sealedKey);
    }

    /// <summary>
    /// The key <paramref name="wrapped"/> carries, or null when it was not made with <paramref name="wrapping"/> for exactly
    /// this key id, public key and creation time (tampered, forged, or wrapped under another key).
    /// </summary>
    public static EngineKeyPair? Unwrap(EngineKeyPair wrapping, string wrapped, string keyId, byte[] publicKey, DateTimeOffset createdAt)
    {
        ArgumentNullException.ThrowIfNull(wrapping);
        ArgumentNullException.ThrowIfNull(publicKey);
        byte[] sealedKey;
        try
        {
            sealedKey = Convert.FromBase64String(wrapped ?? "");
        }
        catch (FormatException)
        {
            return null;
        }
        if (sealedKey.Length != NonceSize + EngineKeyPair.KeySize + TagSize || !AgentIdValidator.IsValid(keyId)) return null;
        var secret = new byte[EngineKeyPair.KeySize];
        var wrapKey = DeriveKey(wrapping);
        try
        {
            using var aes = new AesGcm(wrapKey, TagSize);
            aes.Decrypt(sealedKey.AsSpan(0, NonceSize), sealedKey.AsSpan(NonceSize, secret.Length), sealedKey.AsSpan(NonceSize + secret.Length), secret, AssociatedData(wrapping.KeyId, keyId, publicKey, createdAt));
            var pair = EngineKeyPair.FromPrivateKey(keyId, secret, createdAt);
            return pair.AgreementPublicKey.AsSpan().SequenceEqual(publicKey) ? pair : null;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
        finally
        {
            CryptographicOperations.ZeroMemory(wrapKey);
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static byte[] DeriveKey(EngineKeyPair wrapping)
    {
        var secret = wrapping.PrivateKeyBytes();
        try
        {
            return HKDF.DeriveKey(HashAlgorithmName.SHA256, secret, 32, Encoding.UTF8.GetBytes(wrapping.KeyId), Context);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(secret);
        }
    }

    private static byte[] AssociatedData(string wrappingKeyId, string keyId, byte[] publicKey, DateTimeOffset createdAt) =>
        Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"siem-engine-key-wrap-v1\n{wrappingKeyId}\n{keyId}\n{Convert.ToBase64String(publicKey)}\n{createdAt.ToUnixTimeMilliseconds()}"));
}
