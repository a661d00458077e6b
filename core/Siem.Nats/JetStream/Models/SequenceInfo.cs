namespace Siem.Nats.JetStream;

/// <summary>A consumer position: consumer and stream sequence.</summary>
public sealed record SequenceInfo
{
    public ulong ConsumerSeq { get; init; }
    public ulong StreamSeq { get; init; }
    public DateTimeOffset? LastActive { get; init; }
}
