using System.Text.Json;
using System.Text.Json.Serialization;
using Siem.Core.Security;

namespace Siem.Engine.Keys;

/// <summary>
/// One engine key as announced in the <c>SIEM_ENGINE_KEYS</c> bucket: id, public half, creation time, and the private
/// half wrapped under each other key the announcing engine held (<see cref="EngineKeyWrap"/>), so any engine holding one
/// of those can take it up. A retired key's announcement keeps only id and <see cref="Retired"/>: its private half
/// leaves the bucket.
/// </summary>
public sealed record EngineKeyAnnouncement(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("public_key")] string? PublicKey,
    [property: JsonPropertyName("created_at_ms")] long CreatedAtUnixMs,
    [property: JsonPropertyName("wrapped")] IReadOnlyDictionary<string, string>? Wrapped,
    [property: JsonPropertyName("retired")] bool Retired = false)
{
    [JsonIgnore]
    public DateTimeOffset CreatedAt => DateTimeOffset.FromUnixTimeMilliseconds(CreatedAtUnixMs);

    /// <summary><paramref name="key"/> wrapped under each of <paramref name="wrappers"/> (itself excluded).</summary>
    public static EngineKeyAnnouncement Of(EngineKeyPair key, IEnumerable<EngineKeyPair> wrappers) => new(
        key.KeyId, Convert.ToBase64String(key.AgreementPublicKey), key.CreatedAt.ToUnixTimeMilliseconds(),
        wrappers.Where(w => w.KeyId != key.KeyId).ToDictionary(w => w.KeyId, w => EngineKeyWrap.Wrap(w, key), StringComparer.Ordinal));

    public static EngineKeyAnnouncement RetiredKey(string keyId) => new(keyId, null, 0, null, Retired: true);

    /// <summary>The key, when <paramref name="ring"/> holds a key it is wrapped under and the wrap is genuine; else null.</summary>
    public EngineKeyPair? Unwrap(EngineKeyRing ring)
    {
        if (Retired || PublicKey is null || Wrapped is null) return null;
        byte[] publicKey;
        try
        {
            publicKey = Convert.FromBase64String(PublicKey);
        }
        catch (FormatException)
        {
            return null;
        }
        foreach (var (wrapperId, wrapped) in Wrapped)
        {
            if (ring.ById.TryGetValue(wrapperId, out var wrapper) && EngineKeyWrap.Unwrap(wrapper, wrapped, KeyId, publicKey, CreatedAt) is { } key) return key;
        }
        return null;
    }

    public byte[] Encode() => JsonSerializer.SerializeToUtf8Bytes(this);

    /// <summary>Null for a value that is not an announcement (it is logged and ignored).</summary>
    public static EngineKeyAnnouncement? Decode(ReadOnlySpan<byte> json)
    {
        try
        {
            return JsonSerializer.Deserialize<EngineKeyAnnouncement>(json) is { KeyId: { } id } a && AgentIdValidator.IsValid(id) ? a : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
