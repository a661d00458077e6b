using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math.EC.Rfc8032;

namespace Siem.Core.Security;

/// <summary>
/// The agent's long-term Ed25519 signing identity. The private key never leaves the host: it signs every
/// envelope so the engine knows which enrolled agent sent it. <see cref="ToString"/> never prints key material.
/// </summary>
public sealed class AgentIdentity
{
    private readonly byte[] _signingPrivateKey;

    public string AgentId { get; }
    public byte[] SigningPublicKey { get; }

    private AgentIdentity(string agentId, byte[] signingPrivateKey)
    {
        AgentIdValidator.Validate(agentId);
        AgentId = agentId;
        _signingPrivateKey = signingPrivateKey;
        SigningPublicKey = new Ed25519PrivateKeyParameters(signingPrivateKey, 0).GeneratePublicKey().GetEncoded();
    }

    public static AgentIdentity Create(string agentId)
    {
        var key = new Ed25519PrivateKeyParameters(OsRandom.Create());
        return new AgentIdentity(agentId, key.GetEncoded());
    }

    /// <summary>Ed25519 signature (64 bytes) of <paramref name="message"/> into <paramref name="signature"/>.</summary>
    public void Sign(ReadOnlySpan<byte> message, Span<byte> signature)
    {
        var msg = message.ToArray();
        var sig = new byte[Ed25519.SignatureSize];
        Sign(msg, msg.Length, sig, 0);
        sig.CopyTo(signature);
    }

    /// <summary>Ed25519ph signature (RFC 8032) of a message whose SHA-512 is <paramref name="sha512"/>, under <paramref name="context"/>.</summary>
    internal void SignPrehash(byte[] context, byte[] sha512, Span<byte> signature)
    {
        var sig = new byte[Ed25519.SignatureSize];
        Ed25519.SignPrehash(_signingPrivateKey, 0, SigningPublicKey, 0, context, sha512, 0, sig, 0);
        sig.CopyTo(signature);
    }

    /// <summary>Signs <c>buffer[0..length)</c> into <c>signature[offset..offset+64)</c> without copying (the sealer's hot path).</summary>
    internal void Sign(byte[] buffer, int length, byte[] signature, int offset) =>
        Ed25519.Sign(_signingPrivateKey, 0, SigningPublicKey, 0, buffer, 0, length, signature, offset);

    public void Save(string path)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, string>
        {
            ["version"] = "1",
            ["agent_id"] = AgentId,
            ["signing_private_key"] = Convert.ToBase64String(_signingPrivateKey),
            ["signing_public_key"] = Convert.ToBase64String(SigningPublicKey),
        }, SecurityJson.Default.DictionaryStringString);
        SecureFile.WriteAllBytes(path, json);
    }

    public static AgentIdentity Load(string path)
    {
        using var doc = KeyEncoding.Parse(path);
        var root = doc.RootElement;
        var id = new AgentIdentity(KeyEncoding.String(root, "agent_id", path), KeyEncoding.Bytes(root, "signing_private_key", path, Ed25519.SecretKeySize));
        var storedPublic = KeyEncoding.Bytes(root, "signing_public_key", path, Ed25519.PublicKeySize);
        return storedPublic.AsSpan().SequenceEqual(id.SigningPublicKey)
            ? id
            : throw new InvalidDataException($"{path}: signing_public_key does not match the private key (file corrupted or edited)");
    }

    public override string ToString() => $"AgentIdentity({AgentId})";
}
