using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;

namespace Siem.Nats.Internal;

/// <summary>NATS NKeys (github.com/nats-io/nkeys): Ed25519 keys encoded as base32 (no padding) of
/// prefix byte(s) + key + CRC16/XMODEM (little endian).</summary>
internal static class NKeys
{
    public const byte PrefixSeed = 18 << 3;     // 'S'
    public const byte PrefixUser = 20 << 3;     // 'U'
    public const byte PrefixAccount = 0;        // 'A'
    public const byte PrefixOperator = 14 << 3; // 'O'
    public const byte PrefixServer = 13 << 3;   // 'N'
    public const byte PrefixCluster = 2 << 3;   // 'C'

    /// <summary>Decodes a seed ("SU..."); returns the 32-byte Ed25519 seed and the public key type prefix.</summary>
    public static (byte[] Seed, byte TypePrefix) DecodeSeed(string encoded)
    {
        var raw = Decode(encoded.Trim(), "seed");
        if (raw.Length != 2 + 32) throw new FormatException($"nkey seed decodes to {raw.Length} bytes, expected 34");
        byte b1 = (byte)(raw[0] & 0xF8);
        byte type = (byte)(((raw[0] & 0x07) << 5) | ((raw[1] & 0xF8) >> 3));
        if (b1 != PrefixSeed) throw new FormatException("nkey seed does not start with the seed prefix 'S'");
        if (type is not (PrefixUser or PrefixAccount or PrefixOperator or PrefixServer or PrefixCluster))
            throw new FormatException("nkey seed has an unknown key type");
        return (raw[2..], type);
    }

    public static string EncodeSeed(byte typePrefix, ReadOnlySpan<byte> seed)
    {
        var raw = new byte[2 + seed.Length];
        raw[0] = (byte)(PrefixSeed | (typePrefix >> 5));
        raw[1] = (byte)((typePrefix & 31) << 3);
        seed.CopyTo(raw.AsSpan(2));
        return Encode(raw);
    }

    public static string EncodePublicKey(byte typePrefix, ReadOnlySpan<byte> publicKey)
    {
        var raw = new byte[1 + publicKey.Length];
        raw[0] = typePrefix;
        publicKey.CopyTo(raw.AsSpan(1));
        return Encode(raw);
    }

    public static string PublicKeyFromSeed(string encodedSeed)
    {
        var (seed, type) = DecodeSeed(encodedSeed);
        var priv = new Ed25519PrivateKeyParameters(seed, 0);
        return EncodePublicKey(type, priv.GeneratePublicKey().GetEncoded());
    }

    /// <summary>Signs <paramref name="data"/> (the server nonce) with the seed's Ed25519 key.</summary>
    public static byte[] Sign(string encodedSeed, ReadOnlySpan<byte> data)
    {
        var (seed, _) = DecodeSeed(encodedSeed);
        var signer = new Ed25519Signer();
        signer.Init(true, new Ed25519PrivateKeyParameters(seed, 0));
        var bytes = data.ToArray();
        signer.BlockUpdate(bytes, 0, bytes.Length);
        return signer.GenerateSignature();
    }

    /// <summary>A new random user seed (for tests and provisioning).</summary>
    public static string CreateUserSeed()
    {
        var seed = System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return EncodeSeed(PrefixUser, seed);
    }

    private static string Encode(byte[] raw)
    {
        var withCrc = new byte[raw.Length + 2];
        raw.CopyTo(withCrc, 0);
        ushort crc = Crc16(raw);
        withCrc[^2] = (byte)crc;
        withCrc[^1] = (byte)(crc >> 8);
        return Base32.Encode(withCrc);
    }

    private static byte[] Decode(string encoded, string what)
    {
        byte[] raw;
        try
        {
            raw = Base32.Decode(encoded);
        }
        catch (FormatException e)
        {
            throw new FormatException($"nkey {what} is not valid base32: {e.Message}", e);
        }
        if (raw.Length < 3) throw new FormatException($"nkey {what} is too short");
        var body = raw.AsSpan(0, raw.Length - 2);
        ushort crc = (ushort)(raw[^2] | (raw[^1] << 8));
        if (crc != Crc16(body)) throw new FormatException($"nkey {what} has a bad checksum (typo or truncated)");
        return body.ToArray();
    }

    internal static ushort Crc16(ReadOnlySpan<byte> data)
    {
        ushort crc = 0;
        foreach (byte b in data)
        {
            crc ^= (ushort)(b << 8);
            for (int i = 0; i < 8; i++)
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
        }
        return crc;
    }
}
