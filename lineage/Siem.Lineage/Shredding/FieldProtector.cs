using System.Security.Cryptography;
using System.Text;
using Siem.Core.Events;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Shredding;

/// <summary>
/// Encrypts configurable PII fields of a record under the data key of the subject the value identifies (AES-256-GCM;
/// the field name and subject id are associated data), so destroying that subject's key shreds every copy.
/// A protected value reads <c>enc:v1:&lt;subject id&gt;:&lt;base64url(nonce | ciphertext | tag)&gt;</c>; next to it,
/// <c>&lt;field&gt;.bidx</c> holds a blind index (HMAC-SHA256 of the canonical value under a key derived from the lineage
/// key) so an exact search <c>user.email:x</c> can be answered by comparing <see cref="BlindIndex"/>(field, x) instead.
/// The subject id is the ledger's pseudonym of the value, so a purge destroys the key of the id it already knows.
/// </summary>
public sealed partial class FieldProtector
{
    public const string Prefix = "enc:v1:";
    public const string BlindIndexSuffix = ".bidx";
    public static IReadOnlyList<string> DefaultFields { get; } = [EcsFields.UserEmail];

    private readonly ISubjectKeyStore _keys;
    private readonly SubjectPseudonymizer _subjects;
    private readonly byte[] _blindKey;

    public FieldProtector(ISubjectKeyStore keys, SubjectPseudonymizer subjects, ReadOnlySpan<byte> blindIndexKey, IReadOnlyList<string>? fields = null)
    {
        _keys = keys ?? throw new ArgumentNullException(nameof(keys));
        _subjects = subjects ?? throw new ArgumentNullException(nameof(subjects));
        if (blindIndexKey.Length < 16) throw new ArgumentException("the blind index key must be at least 16 bytes", nameof(blindIndexKey));
        _blindKey = blindIndexKey.ToArray();
        Fields = fields ?? DefaultFields;
    }

    /// <summary>The protector of a data dir: its lineage key (pseudonyms; the blind index key is derived from it),
    /// <paramref name="keys"/>, and what its <see cref="ShreddingOptions"/> file says to shred (<paramref name="fields"/> overrides the fields).</summary>
    public static FieldProtector Open(string dataDir, ISubjectKeyStore keys, IReadOnlyList<string>? fields = null)
    {
        var lineageKey = LineageKey.LoadOrCreate(dataDir);
        var blindKey = HMACSHA256.HashData(lineageKey, "siem-blind-index-v1"u8);
        var options = ShreddingOptions.Load(dataDir);
        return new FieldProtector(keys, new SubjectPseudonymizer(lineageKey, SubjectFieldOptions.Load(dataDir)), blindKey, fields ?? options.Fields)
        {
            SealFreeText = options.SealFreeText,
        };
    }

    public IReadOnlyList<string> Fields { get; }

    public static bool IsProtected(string value) => value.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>Encrypts the record's protected fields in place and adds their blind indexes; returns how many values were encrypted.</summary>
    public async ValueTask<int> ProtectAsync(LogEvent record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        int count = 0;
        foreach (var field in Fields)
        {
            if (!record.Fields.TryGetValue(field, out var raw)) continue;
            var values = raw as string[] ?? [(string)raw];
            var sealedValues = new string[values.Length];
            var blind = new List<string>(values.Length);
            for (int i = 0; i < values.Length; i++)
            {
                var v = values[i];
                if (IsProtected(v) || SubjectPseudonymizer.Canonical(field, v) == null)
                {
                    sealedValues[i] = v;
                    continue;
                }
                sealedValues[i] = await SealAsync(field, v, cancellationToken).ConfigureAwait(false);
                blind.Add(BlindIndex(field, v));
                count++;
            }
            record.Fields[field] = raw is string[] ? sealedValues : sealedValues[0];
            if (blind.Count > 0) record.Fields[field + BlindIndexSuffix] = blind.Count == 1 ? blind[0] : blind.ToArray();
        }
        return count;
    }

    /// <summary>The blind index of a value: what <c>&lt;field&gt;.bidx</c> holds for it (canonical, so case and spacing do not matter).</summary>
    public string BlindIndex(string field, string value)
    {
        var canonical = SubjectPseudonymizer.Canonical(field, value) ?? throw new ArgumentException($"the value of '{field}' is blank", nameof(value));
        return Convert.ToHexStringLower(HMACSHA256.HashData(_blindKey, Encoding.UTF8.GetBytes(canonical)).AsSpan(0, 16));
    }

    /// <summary>The plaintext of a protected value, or null when its subject's key was destroyed (shredded).</summary>
    /// <exception cref="FormatException">Not a protected value, or it does not decrypt (tampered, or another field's value).</exception>
    public async ValueTask<string?> RevealAsync(string field, string protectedValue, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(protectedValue);
        var (subjectId, blob) = Parse(protectedValue);
        var key = await _keys.TryGetKeyAsync(subjectId, cancellationToken).ConfigureAwait(false);
        if (key == null) return null;
        var plain = new byte[blob.Length - 28];
        using var aes = new AesGcm(key, 16);
        try
        {
            aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, plain.Length), blob.AsSpan(12 + plain.Length), plain, Aad(field, subjectId));
        }
        catch (AuthenticationTagMismatchException ex)
        {
            throw new FormatException($"protected value of '{field}' does not decrypt under its subject's key (tampered, or copied from another field)", ex);
        }
        return Encoding.UTF8.GetString(plain);
    }

    private async ValueTask<string> SealAsync(string field, string value, CancellationToken cancellationToken)
    {
        var subjectId = _subjects.SubjectId(field, value);
        var key = await _keys.GetOrCreateKeyAsync(subjectId, cancellationToken).ConfigureAwait(false);
        var plain = Encoding.UTF8.GetBytes(value);
        var blob = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(blob.AsSpan(0, 12), plain, blob.AsSpan(12, plain.Length), blob.AsSpan(12 + plain.Length), Aad(field, subjectId));
        return Prefix + subjectId + ":" + Base64Url(blob);
    }

    private static (string SubjectId, byte[] Blob) Parse(string value)
    {
        if (!IsProtected(value)) throw new FormatException($"not a protected value (it does not start with '{Prefix}')");
        int colon = value.IndexOf(':', Prefix.Length);
        if (colon < 0) throw new FormatException("protected value without a subject id");
        return (value[Prefix.Length..colon], FromBase64Url(value[(colon + 1)..]));
    }

    private static string Base64Url(byte[] blob) => Convert.ToBase64String(blob).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>A nonce | ciphertext | tag blob; <see cref="FormatException"/> when malformed or too short.</summary>
    private static byte[] FromBase64Url(string text)
    {
        var b64 = text.Replace('-', '+').Replace('_', '/');
        b64 = b64.PadRight(b64.Length + ((4 - (b64.Length % 4)) % 4), '=');
        byte[] blob;
        try { blob = Convert.FromBase64String(b64); }
        catch (FormatException ex) { throw new FormatException("protected value with a malformed ciphertext", ex); }
        if (blob.Length < 28) throw new FormatException("protected value too short to hold a nonce and a tag");
        return blob;
    }

    private static byte[] Aad(string field, string subjectId) => Encoding.UTF8.GetBytes(field + "\n" + subjectId);
}
