using System.Security.Cryptography;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;

namespace Siem.Core.Security;

/// <summary>
/// One engine X25519 agreement key pair, named by <see cref="KeyId"/>. The engine keeps several (rotation):
/// agents seal to the id they were given at enrollment, the opener picks the pair by the envelope's key id.
/// </summary>
public sealed class EngineKeyPair
{
    public const int KeySize = 32;
    private readonly X25519PrivateKeyParameters _privateKey;

    public string KeyId { get; }
    public byte[] AgreementPublicKey { get; }
    public DateTimeOffset CreatedAt { get; }

    private EngineKeyPair(string keyId, byte[] privateKey, DateTimeOffset createdAt)
    {
        KeyId = keyId;
        _privateKey = new X25519PrivateKeyParameters(privateKey, 0);
        AgreementPublicKey = _privateKey.GeneratePublicKey().GetEncoded();
        CreatedAt = createdAt;
    }

    /// <summary>A new pair; the key id is derived from the public key (first 8 bytes of SHA-256, hex) so it is stable and unique.</summary>
    public static EngineKeyPair Create()
    {
        var priv = new X25519PrivateKeyParameters(OsRandom.Create());
        var pub = priv.GeneratePublicKey().GetEncoded();
        var keyId = "k" + Convert.ToHexStringLower(SHA256.HashData(pub).AsSpan(0, 8));
        return new EngineKeyPair(keyId, priv.GetEncoded(), DateTimeOffset.UtcNow);
    }

    /// <summary>A pair from its private key (<see cref="EngineKeyWrap"/> hands one on between engines).</summary>
    internal static EngineKeyPair FromPrivateKey(string keyId, byte[] privateKey, DateTimeOffset createdAt) => new(keyId, privateKey, createdAt);

    /// <summary>The private key's bytes, only for wrapping it under another engine key (<see cref="EngineKeyWrap"/>).</summary>
    internal byte[] PrivateKeyBytes() => _privateKey.GetEncoded();

    /// <summary>X25519(engine private, <paramref name="peerPublicKey"/>) into <paramref name="sharedSecret"/>; false for a low-order/invalid peer key.</summary>
    internal bool TryAgree(ReadOnlySpan<byte> peerPublicKey, Span<byte> sharedSecret)
    {
        try
        {
            var buf = new byte[KeySize];
            _privateKey.GenerateSecret(new X25519PublicKeyParameters(peerPublicKey.ToArray(), 0), buf, 0);
            buf.CopyTo(sharedSecret);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    public void Save(string path)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["version"] = "1",
            ["key_id"] = KeyId,
            ["agreement_private_key"] = Convert.ToBase64String(_privateKey.GetEncoded()),
            ["agreement_public_key"] = Convert.ToBase64String(AgreementPublicKey),
            ["created_at"] = CreatedAt.ToString("O"),
        });
        SecureFile.WriteAllBytes(path, json);
    }

    public static EngineKeyPair Load(string path)
    {
        using var doc = KeyEncoding.Parse(path);
        var root = doc.RootElement;
        var created = DateTimeOffset.TryParse(root.TryGetProperty("created_at", out var c) ? c.GetString() : null, out var at) ? at : DateTimeOffset.MinValue;
        var pair = new EngineKeyPair(KeyEncoding.String(root, "key_id", path), KeyEncoding.Bytes(root, "agreement_private_key", path, KeySize), created);
        var storedPublic = KeyEncoding.Bytes(root, "agreement_public_key", path, KeySize);
        return storedPublic.AsSpan().SequenceEqual(pair.AgreementPublicKey)
            ? pair
            : throw new InvalidDataException($"{path}: agreement_public_key does not match the private key (file corrupted or edited)");
    }

    public override string ToString() => $"EngineKeyPair({KeyId})";
}
