using System.Security.Cryptography;
using System.Text;
using Org.BouncyCastle.Crypto.Parameters;

namespace Siem.Core.Security;

/// <summary>
/// How an agent knows a key announcement comes from its engine: the agent sends a fresh X25519 public key and a nonce;
/// the engine answers with a MAC under HKDF(X25519(the engine private key the agent seals to, that ephemeral key)).
/// Only the holder of the engine key the agent already trusts can compute it, so a rotation is vouched for by the key
/// it replaces — no new trust anchor, and a retired key can no longer vouch for anything (the agent enrolls again).
/// </summary>
public static class EngineKeyProof
{
    /// <summary>The agent's half: an ephemeral key pair for one request.</summary>
    public sealed class Challenge
    {
        private readonly X25519PrivateKeyParameters _ephemeral = new(OsRandom.Create());

        public Challenge()
        {
            Nonce = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
            EphemeralPublicKey = Convert.ToBase64String(_ephemeral.GeneratePublicKey().GetEncoded());
        }

        public string Nonce { get; }
        public string EphemeralPublicKey { get; }

        /// <summary>True when <paramref name="proof"/> was made by the holder of the engine key <paramref name="trustedPublicKey"/> for this challenge.</summary>
        public bool Verify(string agentId, string trustedKeyId, byte[] trustedPublicKey, string announcedKeyId, string announcedPublicKey, string? proof)
        {
            if (proof is null || trustedPublicKey.Length != EngineKeyPair.KeySize) return false;
            byte[] given;
            try
            {
                given = Convert.FromBase64String(proof);
            }
            catch (FormatException)
            {
                return false;
            }
            var shared = new byte[32];
            try
            {
                _ephemeral.GenerateSecret(new X25519PublicKeyParameters(trustedPublicKey, 0), shared, 0);
            }
            catch (InvalidOperationException)
            {
                return false;
            }
            var expected = Mac(shared, agentId, Nonce, trustedKeyId, announcedKeyId, announcedPublicKey);
            CryptographicOperations.ZeroMemory(shared);
            return CryptographicOperations.FixedTimeEquals(expected, given);
        }
    }

    /// <summary>The engine's half: the proof, by <paramref name="vouching"/> (the key the agent seals to), that
    /// <paramref name="announced"/> is current. Null when the ephemeral key is invalid.</summary>
    public static string? Prove(EngineKeyPair vouching, string agentId, string nonce, string ephemeralPublicKey, EngineKeyPair announced)
    {
        ArgumentNullException.ThrowIfNull(vouching);
        ArgumentNullException.ThrowIfNull(announced);
        byte[] peer;
        try
        {
            peer = Convert.FromBase64String(ephemeralPublicKey);
        }
        catch (FormatException)
        {
            return null;
        }
        if (peer.Length != EngineKeyPair.KeySize) return null;
        var shared = new byte[32];
        if (!vouching.TryAgree(peer, shared)) return null;
        var mac = Mac(shared, agentId, nonce, vouching.KeyId, announced.KeyId, Convert.ToBase64String(announced.AgreementPublicKey));
        CryptographicOperations.ZeroMemory(shared);
        return Convert.ToBase64String(mac);
    }

    private static byte[] Mac(byte[] shared, string agentId, string nonce, string vouchingKeyId, string announcedKeyId, string announcedPublicKey)
    {
        var key = HKDF.DeriveKey(HashAlgorithmName.SHA256, shared, 32, Encoding.UTF8.GetBytes(nonce), "siem-engine-key-proof-v1"u8.ToArray());
        var message = Encoding.UTF8.GetBytes($"siem-engine-key-announce-v1\n{agentId}\n{nonce}\n{vouchingKeyId}\n{announcedKeyId}\n{announcedPublicKey}");
        var mac = HMACSHA256.HashData(key, message);
        CryptographicOperations.ZeroMemory(key);
        return mac;
    }
}
