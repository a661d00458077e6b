using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Siem.Core.Security;

namespace Siem.Lineage.Purge;

/// <summary>
/// The proof a purge ends with: a JSON object naming the request (requester, reason, times, scope, approvals), the
/// subject by field and pseudonymous id only, per store what was deleted / redacted / erased / rewritten / shredded,
/// and the verification scan, with <c>"verified"</c> at the top level. <c>"signature"</c> is Ed25519 with the server
/// key over the compact UTF-8 JSON of the object without the signature, keys in the order written; the public key
/// and its id are inside the signed part. Any edit (a count, a flag, a key order) breaks the signature.
/// </summary>
public static class PurgeCertificate
{
    public const string Type = "siem-purge-certificate/1";

    public static JsonObject Build(PurgeJob job, IReadOnlyList<PurgeStoreCheck> checks, bool rawValueScanned, DateTimeOffset certifiedAt, ServerSigningKey key)
    {
        ArgumentNullException.ThrowIfNull(job);
        ArgumentNullException.ThrowIfNull(checks);
        ArgumentNullException.ThrowIfNull(key);
        bool verified = rawValueScanned && checks.All(c => c.Clean);
        var stores = new JsonArray();
        foreach (var s in job.Steps)
        {
            stores.Add(new JsonObject
            {
                ["store"] = s.Store, ["deleted"] = s.Deleted, ["redacted"] = s.Redacted, ["erased"] = s.Erased,
                ["rewritten"] = s.Rewritten, ["shredded"] = s.Shredded, ["note"] = s.Note,
            });
        }
        var scans = new JsonArray();
        foreach (var c in checks)
        {
            scans.Add(new JsonObject
            {
                ["store"] = c.Store, ["clean"] = c.Clean, ["raw_value_hits"] = c.RawValueHits, ["subject_id_hits"] = c.SubjectIdHits,
                ["where"] = new JsonArray([.. c.Where.Select(w => (JsonNode?)JsonValue.Create(w))]),
            });
        }
        var cert = new JsonObject
        {
            ["verified"] = verified,
            ["type"] = Type,
            ["purge_id"] = job.Id,
            ["subject"] = new JsonObject { ["field"] = job.SubjectField, ["subject_id"] = job.SubjectId },
            ["request"] = new JsonObject
            {
                ["requested_by"] = job.RequestedBy, ["reason"] = job.Reason, ["requested_at"] = Time(job.RequestedAt),
                ["scope"] = new JsonObject { ["from"] = Time(job.From), ["to"] = Time(job.To) },
            },
            ["approvals"] = new JsonArray([.. job.Approvals.Select(a => (JsonNode?)new JsonObject { ["by"] = a.By, ["at"] = Time(a.At) })]),
            ["started_at"] = Time(job.StartedAt),
            ["completed_at"] = Time(job.CompletedAt),
            ["certified_at"] = Time(certifiedAt),
            ["stores"] = stores,
            ["verification"] = new JsonObject
            {
                ["raw_value_scanned"] = rawValueScanned,
                ["raw_value_hits"] = checks.Sum(c => Math.Max(0, c.RawValueHits)),
                ["subject_id_hits"] = checks.Sum(c => c.SubjectIdHits),
                ["stores"] = scans,
            },
            ["server_key_id"] = key.KeyId,
            ["server_public_key"] = Convert.ToBase64String(key.PublicKey),
        };
        cert["signature"] = Convert.ToBase64String(key.Sign(SignedBytes(cert)));
        return cert;
    }

    /// <summary>Checks the signature, and that it was made by <paramref name="trusted"/> when given (the data dir's
    /// server key). Returns null when valid, else what is wrong.</summary>
    public static string? CheckSignature(string json, byte[]? trusted)
    {
        JsonObject cert;
        try
        {
            cert = JsonNode.Parse(json) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException ex)
        {
            return $"not a certificate: {ex.Message}";
        }
        if (cert["type"]?.GetValue<string>() != Type) return $"not a purge certificate (type is not {Type})";
        if (cert["signature"]?.GetValue<string>() is not { } sigText) return "no signature";
        if (cert["server_public_key"]?.GetValue<string>() is not { } pubText) return "no server_public_key";
        byte[] sig, pub;
        try
        {
            sig = Convert.FromBase64String(sigText);
            pub = Convert.FromBase64String(pubText);
        }
        catch (FormatException)
        {
            return "signature or server_public_key is not base64";
        }
        if (trusted != null && !trusted.AsSpan().SequenceEqual(pub))
            return $"signed by key {ServerSigningKey.IdOf(pub)}, not by this data dir's server key {ServerSigningKey.IdOf(trusted)}";
        if (cert["server_key_id"]?.GetValue<string>() != ServerSigningKey.IdOf(pub)) return "server_key_id does not match server_public_key";
        cert.Remove("signature");
        return ServerSigningKey.Verify(pub, SignedBytes(cert), sig) ? null : "the signature does not match the content (the certificate was changed after signing)";
    }

    // Values are written as strings before signing (times pre-formatted) and with one fixed escaper, so the bytes a
    // verifier re-serialises from the parsed file are the bytes that were signed.
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static byte[] SignedBytes(JsonObject certWithoutSignature) => Encoding.UTF8.GetBytes(certWithoutSignature.ToJsonString(Compact));

    private static string? Time(DateTimeOffset? t) => t?.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
