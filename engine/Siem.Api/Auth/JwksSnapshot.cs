using Microsoft.IdentityModel.Tokens;

namespace Siem.Api.Auth;

/// <summary>Signing keys and the issuer they sign for, or (<see cref="Keys"/> empty) why there are none yet.</summary>
internal sealed record JwksSnapshot(IReadOnlyList<SecurityKey> Keys, string? Issuer, string? Problem)
{
    public bool Has(string kid) => Keys.Any(k => string.Equals(k.KeyId, kid, StringComparison.Ordinal));

    /// <summary>The signing keys of a JSON Web Key Set; throws <see cref="InvalidDataException"/> naming <paramref name="where"/>.</summary>
    public static List<SecurityKey> Parse(string json, string where)
    {
        JsonWebKeySet set;
        try
        {
            set = new JsonWebKeySet(json);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"{where}: not a JSON Web Key Set ({ex.Message})", ex);
        }
        var keys = set.GetSigningKeys().ToList();
        if (keys.Count == 0) throw new InvalidDataException($"{where}: the key set holds no usable signing key (RSA or EC public keys)");
        return keys;
    }
}
