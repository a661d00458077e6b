using System.Security.Cryptography;

namespace Siem.Nats.Internal;

/// <summary>Random 22-character base62 identifiers for inboxes (~131 bits of randomness).</summary>
internal static class Nuid
{
    private const string Digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    public static string Next() => RandomNumberGenerator.GetString(Digits, 22);
}
