using Siem.Nats.Internal;

namespace Siem.Nats;

/// <summary>A NATS NKey (Ed25519) for provisioning: the seed (<c>SU...</c>, secret: store it mode 0600) goes to the
/// client (<see cref="NatsOpts.NKeySeedFile"/>), the public key (<c>U...</c>) into the server's <c>users</c> list.</summary>
public sealed record NKeyPair(string Seed, string PublicKey)
{
    /// <summary>A new random user key.</summary>
    public static NKeyPair CreateUser()
    {
        var seed = NKeys.CreateUserSeed();
        return new NKeyPair(seed, NKeys.PublicKeyFromSeed(seed));
    }

    /// <summary>The key pair of an existing seed; a mistyped seed throws <see cref="FormatException"/> naming the problem.</summary>
    public static NKeyPair FromSeed(string seed)
    {
        ArgumentNullException.ThrowIfNull(seed);
        return new NKeyPair(seed.Trim(), NKeys.PublicKeyFromSeed(seed));
    }

    /// <summary>The seed is a secret: never print the record with it.</summary>
    public override string ToString() => PublicKey;
}
