namespace Siem.Nats.JetStream;

/// <summary>A message read from a stream by sequence or by last-for-subject.</summary>
public sealed record StreamMsg(string Subject, ulong Seq, NatsHeaders? Headers, ReadOnlyMemory<byte> Data, DateTimeOffset Time);
