namespace Siem.Nats.JetStream;

/// <summary>A key-value bucket: a stream <c>KV_&lt;bucket&gt;</c> over subjects <c>$KV.&lt;bucket&gt;.&gt;</c>.</summary>
public sealed record KvConfig
{
    public KvConfig() { }

    public KvConfig(string bucket) => Bucket = bucket;

    public string Bucket { get; init; } = "";
    public string? Description { get; init; }

    /// <summary>Revisions kept per key (1..64).</summary>
    public int History { get; init; } = 1;

    /// <summary>Entries older than this expire; null = never.</summary>
    public TimeSpan? Ttl { get; init; }
    public long? MaxBytes { get; init; }
    public int? MaxValueSize { get; init; }
    public StorageType Storage { get; init; } = StorageType.File;
    public int Replicas { get; init; } = 1;

    /// <summary>Allow deleting (erasing) single revisions by stream sequence, which KV buckets otherwise deny; the server
    /// refuses to turn this on for an existing bucket that denies it.</summary>
    public bool AllowMessageDelete { get; init; }
}
