using System.Text.Json.Serialization;

namespace Siem.Collectors.Enrollment;

/// <summary>An engine key the agent sealed batches to before it switched: batch sequences below
/// <see cref="SealedBeforeSeq"/> may still be spooled under it, so the engine must keep it until they are acknowledged.</summary>
public sealed record PendingEngineKey(
    [property: JsonPropertyName("key_id")] string KeyId,
    [property: JsonPropertyName("sealed_before_seq")] ulong SealedBeforeSeq);
