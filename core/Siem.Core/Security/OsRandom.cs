using Org.BouncyCastle.Crypto.Prng;
using Org.BouncyCastle.Security;

namespace Siem.Core.Security;

/// <summary>
/// BouncyCastle randomness straight from the operating system's CSPRNG (.NET's RandomNumberGenerator). The parameterless
/// <c>new SecureRandom()</c> builds a SHA-256 PRNG through DigestUtilities, whose static tables call Enum.GetValues(Type):
/// not Native AOT safe (IL3050), and the Native AOT agent (deploy/build-agent.sh) creates keys and seals with it.
/// </summary>
internal static class OsRandom
{
    public static SecureRandom Create() => new(new CryptoApiRandomGenerator());
}
