using System.Text.Json.Serialization;

namespace Siem.Nats.JetStream;

/// <summary>
/// A consumer's configuration as the JetStream API takes it. Leave <see cref="DeliverSubject"/> null for a
/// pull consumer. Limits left <c>null</c> are not sent (server defaults).
/// </summary>
public sealed record ConsumerConfig
{
    public ConsumerConfig() { }

    public ConsumerConfig(string durableName) => DurableName = durableName;

    public string? DurableName { get; init; }
    public string? Name { get; init; }
    public string? Description { get; init; }
    public DeliverPolicy DeliverPolicy { get; init; } = DeliverPolicy.All;
    public ulong? OptStartSeq { get; init; }
    public DateTimeOffset? OptStartTime { get; init; }
    public AckPolicy AckPolicy { get; init; } = AckPolicy.Explicit;

    /// <summary>How long the server waits for an ack before redelivering (server default 30 s).</summary>
    public TimeSpan? AckWait { get; init; }

    /// <summary>Deliveries per message before the server gives up on it (server default: unlimited).</summary>
    public long? MaxDeliver { get; init; }
    public string? FilterSubject { get; init; }
    public ReplayPolicy ReplayPolicy { get; init; } = ReplayPolicy.Instant;
    public long? MaxAckPending { get; init; }
    public long? MaxWaiting { get; init; }

    [JsonPropertyName("max_batch")]
    public long? MaxRequestBatch { get; init; }

    /// <summary>Push consumers only: where the server sends messages.</summary>
    public string? DeliverSubject { get; init; }
    public TimeSpan? IdleHeartbeat { get; init; }
    public bool FlowControl { get; init; }
    public bool HeadersOnly { get; init; }

    /// <summary>An idle consumer is removed after this (ephemeral consumers).</summary>
    public TimeSpan? InactiveThreshold { get; init; }
    public IReadOnlyList<TimeSpan>? Backoff { get; init; }

    [JsonPropertyName("num_replicas")]
    public int? Replicas { get; init; }

    [JsonPropertyName("mem_storage")]
    public bool MemoryStorage { get; init; }
}
