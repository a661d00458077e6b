using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Siem.Core.Security;

/// <summary>JSON bodies of the <c>siem.enroll</c> request/reply (agent ⇄ engine), snake_case on the wire.</summary>
public static class EnrollmentMessages
{
    public const string Subject = "siem.enroll";

    public sealed record Request(
        [property: JsonPropertyName("token")] string Token,
        [property: JsonPropertyName("agent_id")] string AgentId,
        [property: JsonPropertyName("hostname")] string? HostName,
        [property: JsonPropertyName("signing_public_key")] string SigningPublicKey,
        [property: JsonPropertyName("tenant")] string Tenant)
    {
        /// <summary>Never print the token.</summary>
        public override string ToString() => $"EnrollmentRequest({AgentId}, tenant {Tenant})";
    }

    public sealed record Response(
        [property: JsonPropertyName("ok")] bool Ok,
        [property: JsonPropertyName("error")] string? Error = null,
        [property: JsonPropertyName("engine_key_id")] string? EngineKeyId = null,
        [property: JsonPropertyName("engine_public_key")] string? EnginePublicKey = null,
        [property: JsonPropertyName("subject")] string? Subject = null);

    public static byte[] Encode<T>(T message) => JsonSerializer.SerializeToUtf8Bytes(message, TypeInfo<T>());

    /// <summary>Null when the bytes are not a JSON object of that shape.</summary>
    public static T? Decode<T>(ReadOnlySpan<byte> utf8) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(utf8, TypeInfo<T>());
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The enrollment and key messages (source-generated, see <see cref="SecurityJson"/>).</summary>
    private static JsonTypeInfo<T> TypeInfo<T>() => SecurityJson.Default.GetTypeInfo(typeof(T)) as JsonTypeInfo<T>
        ?? throw new ArgumentException($"{typeof(T).Name} is not an enrollment or key message", nameof(T));

    public static string EventsSubject(string tenant, string agentId) => $"siem.events.{tenant}.{agentId}";

    /// <summary>The reply-inbox prefix an agent uses (<c>NatsOpts.InboxPrefix</c>): the broker's per-agent permissions
    /// (written by <c>siem certs init</c>) let an agent read only its own replies.</summary>
    public static string AgentInboxPrefix(string tenant, string agentId) => $"_INBOX.agent.{tenant}.{agentId}";
}
