namespace Siem.Nats.JetStream;

/// <summary>What a stream currently holds (the <c>state</c> of a stream info).</summary>
public sealed record StreamState
{
    public ulong Messages { get; init; }
    public ulong Bytes { get; init; }
    public ulong FirstSeq { get; init; }
    public DateTimeOffset? FirstTs { get; init; }
    public ulong LastSeq { get; init; }
    public DateTimeOffset? LastTs { get; init; }
    public long NumDeleted { get; init; }
    public long NumSubjects { get; init; }
    public int ConsumerCount { get; init; }
}
