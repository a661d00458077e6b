using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>Where a stream keeps its messages (JetStream <c>storage</c>).</summary>
[JsonConverter(typeof(JsonStringEnumConverter<StorageType>))]
public enum StorageType
{
    [JsonStringEnumMemberName("file")] File,
    [JsonStringEnumMemberName("memory")] Memory,
}
