using System.Text.Json;
using System.Text.Json.Serialization;
using Siem.Collectors.Agent;
using Siem.Core.Security;

namespace Siem.Collectors.Enrollment;

/// <summary>
/// What enrollment left in the agent's state dir: <c>identity.json</c> (the Ed25519 key, 0600) and
/// <c>enrollment.json</c> (the engine key to seal to, its id, and the subject to publish on). A running agent replaces
/// the engine key when the engine announces a rotation, and remembers the keys its spooled batches may still use
/// (<see cref="PendingEngineKeys"/>).
/// </summary>
public sealed record EnrollmentState(
    [property: JsonPropertyName("agent_id")] string AgentId,
    [property: JsonPropertyName("tenant")] string Tenant,
    [property: JsonPropertyName("engine_key_id")] string EngineKeyId,
    [property: JsonPropertyName("engine_public_key")] string EnginePublicKey,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("pending_engine_keys")] IReadOnlyList<PendingEngineKey>? PendingEngineKeys = null)
{
    public const string IdentityFile = "identity.json";
    public const string StateFile = "enrollment.json";

    /// <summary>Written by <c>siem-agent rotate-key</c> before the engine confirms the new identity key; replaces
    /// <see cref="IdentityFile"/> once it did (a retry after a lost reply reuses it).</summary>
    public const string NextIdentityFile = "identity.next.json";

    public byte[] EnginePublicKeyBytes => Convert.FromBase64String(EnginePublicKey);

    public void Save(string stateDir) => SecureFile.WriteAllBytes(Path.Combine(stateDir, StateFile), JsonSerializer.SerializeToUtf8Bytes(this, AgentJsonContext.Default.EnrollmentState));

    /// <summary>Loads the state, or explains how to enroll when it is missing.</summary>
    public static EnrollmentState Load(string stateDir)
    {
        var path = Path.Combine(stateDir, StateFile);
        if (!File.Exists(path))
            throw new InvalidOperationException($"{path} not found: this agent is not enrolled. Run `siem-agent enroll --server NATS_URL --token TOKEN --state {stateDir}` first.");
        try
        {
            var state = JsonSerializer.Deserialize(File.ReadAllBytes(path), AgentJsonContext.Default.EnrollmentState) ?? throw new InvalidDataException($"{path}: empty");
            if (!AgentIdValidator.IsValid(state.AgentId) || !AgentIdValidator.IsValid(state.EngineKeyId) || string.IsNullOrEmpty(state.Subject) || state.EnginePublicKeyBytes.Length != 32)
                throw new InvalidDataException($"{path}: incomplete enrollment state (agent_id, engine_key_id, engine_public_key, subject); enroll again");
            return state;
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            throw new InvalidDataException($"{path}: not valid enrollment state ({e.Message}); enroll again", e);
        }
    }
}
