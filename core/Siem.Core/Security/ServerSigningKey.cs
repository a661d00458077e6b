using System.Security.Cryptography;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Siem.Core.Security;

/// <summary>
/// The server's Ed25519 signing identity (<c>&lt;data&gt;/engine/server-signing-key.json</c>, mode 0600): signs purge
/// certificates and the batches a purge re-seals without a subject's records. Its public key is published inside
/// every certificate it signs; <see cref="KeyId"/> = "s" + first 8 bytes of SHA-256(public key), hex.
/// </summary>
public sealed class ServerSigningKey
{
    private readonly byte[] _privateKey;

    public string KeyId { get; }
    public byte[] PublicKey { get; }

    private ServerSigningKey(byte[] privateKey)
    {
        _privateKey = privateKey;
        PublicKey = new Ed25519PrivateKeyParameters(privateKey, 0).GeneratePublicKey().GetEncoded();
        KeyId = IdOf(PublicKey);
    }

    public static string IdOf(byte[] publicKey) => "s" + Convert.ToHexStringLower(SHA256.HashData(publicKey).AsSpan(0, 8));

    public static string PathFor(string dataDir) => Path.Combine(Path.GetFullPath(dataDir), "engine", "server-signing-key.json");

    /// <summary>The data dir's key, created (0600) on first use.</summary>
    public static ServerSigningKey LoadOrCreate(string dataDir)
    {
        var path = PathFor(dataDir);
        if (File.Exists(path)) return Load(path);
        var key = new ServerSigningKey(new Ed25519PrivateKeyParameters(OsRandom.Create()).GetEncoded());
        key.Save(path);
        return key;
    }

    public static ServerSigningKey Load(string path)
    {
        using var doc = KeyEncoding.Parse(path);
        var key = new ServerSigningKey(KeyEncoding.Bytes(doc.RootElement, "signing_private_key", path, Ed25519.SecretKeySize));
        var storedPublic = KeyEncoding.Bytes(doc.RootElement, "signing_public_key", path, Ed25519.PublicKeySize);
        return storedPublic.AsSpan().SequenceEqual(key.PublicKey)
            ? key
            : throw new InvalidDataException($"{path}: signing_public_key does not match the private key (file corrupted or edited)");
    }

    public void Save(string path) =>
        SecureFile.WriteAllBytes(path, JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["version"] = "1",
            ["key_id"] = KeyId,
            ["signing_private_key"] = Convert.ToBase64String(_privateKey),
            ["signing_public_key"] = Convert.ToBase64String(PublicKey),
        }));

    public byte[] Sign(ReadOnlySpan<byte> message)
    {
        var msg = message.ToArray();
        var sig = new byte[Ed25519.SignatureSize];
        Ed25519.Sign(_privateKey, 0, PublicKey, 0, msg, 0, msg.Length, sig, 0);
        return sig;
    }

    public static bool Verify(byte[] publicKey, ReadOnlySpan<byte> message, byte[] signature)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        ArgumentNullException.ThrowIfNull(signature);
        if (publicKey.Length != Ed25519.PublicKeySize || signature.Length != Ed25519.SignatureSize) return false;
        var msg = message.ToArray();
        try
        {
            return Ed25519.Verify(signature, 0, publicKey, 0, msg, 0, msg.Length);
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public override string ToString() => $"ServerSigningKey({KeyId})";
}
