namespace Siem.Nats.JetStream;

/// <summary>A consumer's configuration (defaults filled in by the server) and progress.</summary>
public sealed record ConsumerInfo
{
    public string StreamName { get; init; } = "";
    public string Name { get; init; } = "";
    public DateTimeOffset Created { get; init; }
    public ConsumerConfig Config { get; init; } = new();
    public SequenceInfo Delivered { get; init; } = new();
    public SequenceInfo AckFloor { get; init; } = new();
    public long NumAckPending { get; init; }
    public long NumRedelivered { get; init; }
    public long NumWaiting { get; init; }
    public ulong NumPending { get; init; }
}
