using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Siem.Core.Events;
using Siem.Lineage.Subjects;

namespace Siem.Lineage.Shredding;

/// <summary>
/// Free text (issue #6): a protected value also shows in the record's <c>message</c> and original line, where field
/// encryption does not reach. With <see cref="SealFreeText"/> the stored text has each of the record's protected values
/// replaced by <c>[field]</c> (so full-text search over everything else keeps working for everyone), and the text as
/// read is kept in <see cref="SealedTextField"/>, encrypted under a key derived from the data keys of every subject it
/// names: destroying any one of those keys (a purge) makes the original text unreadable in every copy.
/// A sealed text reads <c>enc:t1:&lt;subject id&gt;[,&lt;subject id&gt;...]:&lt;base64url(nonce | ciphertext | tag)&gt;</c>.
/// </summary>
public sealed partial class FieldProtector
{
    /// <summary>The stored field holding the sealed original line and message.</summary>
    public const string SealedTextField = "siem.sealed_text";
    private const string TextPrefix = "enc:t1:";

    /// <summary>Whether records' free text is sealed (see the type); from <see cref="ShreddingOptions.SealFreeText"/>.</summary>
    public bool SealFreeText { get; init; } = true;

    /// <summary>
    /// Seals the free text of a record that still holds its protected values in plaintext (call before
    /// <see cref="ProtectAsync"/>): <c>message</c> is replaced in place, <see cref="SealedTextField"/> is added, and the
    /// original line to store is returned (the record's own when nothing of a subject shows in the text).
    /// </summary>
    public async ValueTask<string> SealTextAsync(LogEvent record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!SealFreeText) return record.Original;
        var values = new List<(string Field, string Value, string SubjectId)>();
        foreach (var field in Fields)
        {
            if (!record.Fields.TryGetValue(field, out var raw)) continue;
            foreach (var v in raw as string[] ?? [(string)raw])
            {
                if (IsProtected(v) || SubjectPseudonymizer.Canonical(field, v) == null) continue;
                values.Add((field, v, _subjects.SubjectId(field, v)));
            }
        }
        var message = record.Fields.TryGetValue(EcsFields.Message, out var m) ? m as string : null;
        string original = Redact(record.Original, values);
        string? storedMessage = message == null ? null : Redact(message, values);
        if (ReferenceEquals(original, record.Original) && ReferenceEquals(storedMessage, message)) return record.Original;
        var subjectIds = values.Select(v => v.SubjectId).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        var key = await TextKeyAsync(subjectIds, create: true, cancellationToken).ConfigureAwait(false);
        var plain = JsonSerializer.SerializeToUtf8Bytes(new[] { record.Original, message });
        var blob = new byte[12 + plain.Length + 16];
        RandomNumberGenerator.Fill(blob.AsSpan(0, 12));
        using (var aes = new AesGcm(key!, 16))
            aes.Encrypt(blob.AsSpan(0, 12), plain, blob.AsSpan(12, plain.Length), blob.AsSpan(12 + plain.Length), TextAad(subjectIds));
        record.Fields[SealedTextField] = TextPrefix + string.Join(',', subjectIds) + ":" + Base64Url(blob);
        if (storedMessage != null) record.Fields[EcsFields.Message] = storedMessage;
        return original;
    }

    /// <summary>The original line and message a sealed text holds, or null when a subject's key was destroyed (shredded).</summary>
    /// <exception cref="FormatException">Not a sealed text, or it does not decrypt (tampered).</exception>
    public async ValueTask<(string Original, string? Message)?> RevealTextAsync(string sealedText, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(sealedText);
        if (!sealedText.StartsWith(TextPrefix, StringComparison.Ordinal)) throw new FormatException($"not a sealed text (it does not start with '{TextPrefix}')");
        int colon = sealedText.IndexOf(':', TextPrefix.Length);
        if (colon < 0) throw new FormatException("sealed text without subject ids");
        var subjectIds = sealedText[TextPrefix.Length..colon].Split(',').ToList();
        var blob = FromBase64Url(sealedText[(colon + 1)..]);
        var key = await TextKeyAsync(subjectIds, create: false, cancellationToken).ConfigureAwait(false);
        if (key == null) return null;
        var plain = new byte[blob.Length - 28];
        using (var aes = new AesGcm(key, 16))
        {
            try
            {
                aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, plain.Length), blob.AsSpan(12 + plain.Length), plain, TextAad(subjectIds));
            }
            catch (AuthenticationTagMismatchException ex)
            {
                throw new FormatException("sealed text does not decrypt under its subjects' keys (tampered, or its subject list was changed)", ex);
            }
        }
        var parts = JsonSerializer.Deserialize<string?[]>(plain) ?? throw new FormatException("sealed text holds no text");
        return (parts[0] ?? "", parts.Length > 1 ? parts[1] : null);
    }

    /// <summary>Whether a free-text search term could be a value of <paramref name="field"/> (an address for an e-mail
    /// field, an IP for an address field, any one token otherwise): sealed text no longer shows such values, so a search
    /// also looks the term up in the field's blind index.</summary>
    public static bool CouldBeValueOf(string field, string text)
    {
        ArgumentNullException.ThrowIfNull(field);
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length == 0 || text.Any(char.IsWhiteSpace) || SubjectPseudonymizer.Canonical(field, text) == null) return false;
        return SubjectCanonicalizer.ClassOf(field) switch
        {
            "email" => text.Contains('@', StringComparison.Ordinal),
            "ip" => System.Net.IPAddress.TryParse(text, out _),
            _ => true,
        };
    }

    /// <summary>Every occurrence of the values, case-insensitively, as <c>[field]</c>; the same string when none shows.</summary>
    private static string Redact(string text, List<(string Field, string Value, string SubjectId)> values)
    {
        string result = text;
        foreach (var (field, value, _) in values.OrderByDescending(v => v.Value.Length))
        {
            if (result.Contains(value, StringComparison.OrdinalIgnoreCase)) result = result.Replace(value, "[" + field + "]", StringComparison.OrdinalIgnoreCase);
        }
        return result;
    }

    /// <summary>SHA-256 over every subject's data key (sorted by subject id): all are needed, so destroying one shreds the text.
    /// Null when one of them does not exist (destroyed) and <paramref name="create"/> is false.</summary>
    private async ValueTask<byte[]?> TextKeyAsync(List<string> subjectIds, bool create, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData("siem-sealed-text-v1"u8);
        foreach (var id in subjectIds)
        {
            var key = create ? await _keys.GetOrCreateKeyAsync(id, cancellationToken).ConfigureAwait(false)
                : await _keys.TryGetKeyAsync(id, cancellationToken).ConfigureAwait(false);
            if (key == null) return null;
            hash.AppendData(key);
        }
        return hash.GetHashAndReset();
    }

    private static byte[] TextAad(List<string> subjectIds) => Encoding.UTF8.GetBytes("text\n" + string.Join(',', subjectIds));
}
