using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace Siem.Core.Security;

/// <summary>
/// Requests an enrolled agent makes about its keys, on its own subjects (the broker lets an agent publish only
/// <c>siem.keys.&lt;tenant&gt;.&lt;agent&gt;.*</c>, see <c>siem certs init</c>), answered by any engine (queue group):
/// <list type="bullet">
/// <item><c>.engine</c>: "which engine key should I seal to?" — the agent says which key it seals to and which earlier
/// keys its unacknowledged (spooled) batches still use; the engine records that (so <c>siem keys retire</c> can tell
/// who still needs a key) and answers with the current key, proved by a MAC only the holder of the agent's present
/// engine key can compute (<see cref="EngineKeyProof"/>): nobody on the bus can make an agent seal to a key of theirs.</item>
/// <item><c>.rotate</c>: "replace my identity key" — signed with the old key (authority) and the new one (possession).</item>
/// </list>
/// Every request is signed with the agent's identity key, so an engine never acts on a forged report.
/// </summary>
public static class AgentKeyMessages
{
    public const string SubjectPrefix = "siem.keys";
    public const string EngineKeyOperation = "engine";
    public const string RotateOperation = "rotate";

    /// <summary>What engines subscribe to (queue group).</summary>
    public const string AllSubjects = SubjectPrefix + ".>";

    public static string Subject(string tenant, string agentId, string operation) => $"{SubjectPrefix}.{tenant}.{agentId}.{operation}";

    /// <summary>What the broker lets an agent publish for its key requests (<c>siem certs init</c>).</summary>
    public static string AgentSubjects(string tenant, string agentId) => $"{SubjectPrefix}.{tenant}.{agentId}.*";

    /// <summary>Refusal codes an agent acts on.</summary>
    public static class Codes
    {
        /// <summary>The engine key the agent seals to is no longer held (retired): only a new enrollment helps.</summary>
        public const string KeyRetired = "key_retired";
        public const string UnknownAgent = "unknown_agent";
        public const string Revoked = "revoked";
        public const string BadRequest = "bad_request";
    }

    public sealed record EngineKeyRequest(
        [property: JsonPropertyName("agent_id")] string AgentId,
        [property: JsonPropertyName("tenant")] string Tenant,
        [property: JsonPropertyName("nonce")] string Nonce,
        [property: JsonPropertyName("ephemeral_public_key")] string EphemeralPublicKey,
        [property: JsonPropertyName("sealing_key_id")] string SealingKeyId,
        [property: JsonPropertyName("pending_key_ids")] IReadOnlyList<string> PendingKeyIds,
        [property: JsonPropertyName("signed_at")] long SignedAtUnixMs,
        [property: JsonPropertyName("signature")] string? Signature = null)
    {
        public byte[] SignedBytes() => Canonical("siem-engine-key-request-v1", AgentId, Tenant, Nonce, EphemeralPublicKey, SealingKeyId,
            string.Join(',', PendingKeyIds ?? []), SignedAtUnixMs.ToString(CultureInfo.InvariantCulture));
    }

    public sealed record EngineKeyResponse(
        [property: JsonPropertyName("ok")] bool Ok,
        [property: JsonPropertyName("error")] string? Error = null,
        [property: JsonPropertyName("code")] string? Code = null,
        [property: JsonPropertyName("engine_key_id")] string? EngineKeyId = null,
        [property: JsonPropertyName("engine_public_key")] string? EnginePublicKey = null,
        [property: JsonPropertyName("proof")] string? Proof = null);

    public sealed record RotateRequest(
        [property: JsonPropertyName("agent_id")] string AgentId,
        [property: JsonPropertyName("tenant")] string Tenant,
        [property: JsonPropertyName("new_signing_public_key")] string NewSigningPublicKey,
        [property: JsonPropertyName("nonce")] string Nonce,
        [property: JsonPropertyName("signed_at")] long SignedAtUnixMs,
        [property: JsonPropertyName("old_key_signature")] string? OldKeySignature = null,
        [property: JsonPropertyName("new_key_signature")] string? NewKeySignature = null)
    {
        public byte[] SignedBytes() => Canonical("siem-agent-key-rotation-v1", AgentId, Tenant, NewSigningPublicKey, Nonce,
            SignedAtUnixMs.ToString(CultureInfo.InvariantCulture));
    }

    public sealed record RotateResponse(
        [property: JsonPropertyName("ok")] bool Ok,
        [property: JsonPropertyName("error")] string? Error = null,
        [property: JsonPropertyName("code")] string? Code = null,
        [property: JsonPropertyName("previous_key_valid_until")] DateTimeOffset? PreviousKeyValidUntil = null);

    /// <summary>Fields joined by newlines under a context label: no field may contain a newline (ids, base64 and numbers cannot).</summary>
    private static byte[] Canonical(string context, params string[] fields) => Encoding.UTF8.GetBytes(context + "\n" + string.Join('\n', fields));
}
