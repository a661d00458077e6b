using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>
/// A stream's configuration as the JetStream API takes it (<c>$JS.API.STREAM.CREATE</c>). Limits left
/// <c>null</c> are not sent, so the server applies its defaults (unlimited); durations travel as nanoseconds.
/// </summary>
public sealed record StreamConfig
{
    public StreamConfig() { }

    public StreamConfig(string name, params IReadOnlyList<string> subjects)
    {
        Name = name;
        Subjects = subjects;
    }

    public string Name { get; init; } = "";
    public string? Description { get; init; }
    public IReadOnlyList<string>? Subjects { get; init; }
    public RetentionPolicy Retention { get; init; } = RetentionPolicy.Limits;
    public StorageType Storage { get; init; } = StorageType.File;

    /// <summary>Number of copies in a cluster (1 on a single server).</summary>
    [JsonPropertyName("num_replicas")]
    public int Replicas { get; init; } = 1;

    /// <summary>How long <c>Nats-Msg-Id</c> values are remembered for de-duplication (server default 2 min).</summary>
    public TimeSpan? DuplicateWindow { get; init; }
    public long? MaxMsgs { get; init; }
    public long? MaxBytes { get; init; }
    public TimeSpan? MaxAge { get; init; }
    public int? MaxMsgSize { get; init; }
    public long? MaxMsgsPerSubject { get; init; }
    public int? MaxConsumers { get; init; }
    public DiscardPolicy Discard { get; init; } = DiscardPolicy.Old;
    public bool DenyDelete { get; init; }
    public bool DenyPurge { get; init; }
    public bool AllowDirect { get; init; }

    [JsonPropertyName("allow_rollup_hdrs")]
    public bool AllowRollupHeaders { get; init; }
}
