namespace Siem.Nats.JetStream;

/// <summary>One revision of a key.</summary>
/// <param name="Delta">For watches: how many more entries the watcher has still to receive (0 = caught up).</param>
public sealed record KvEntry(string Bucket, string Key, ReadOnlyMemory<byte> Value, ulong Revision, DateTimeOffset Created, KvOperation Operation, ulong Delta = 0);
