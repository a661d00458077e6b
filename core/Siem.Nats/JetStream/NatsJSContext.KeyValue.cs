namespace Siem.Nats.JetStream;

public sealed partial class NatsJSContext
{
    /// <summary>
    /// Creates (or updates) a key-value bucket: stream <c>KV_&lt;bucket&gt;</c> over <c>$KV.&lt;bucket&gt;.&gt;</c>,
    /// keeping <see cref="KvConfig.History"/> revisions per key, with rollup headers (purge) and direct get allowed.
    /// An existing bucket keeps its replica count (<see cref="EnsureStreamAsync"/>).
    /// </summary>
    public async Task<NatsKVStore> CreateKeyValueAsync(KvConfig config, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(config);
        NatsKVStore.ValidateBucket(config.Bucket);
        ArgumentOutOfRangeException.ThrowIfLessThan(config.History, 1, nameof(config.History));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(config.History, 64, nameof(config.History));
        var window = TimeSpan.FromMinutes(2);
        if (config.Ttl is { } ttl && ttl < window) window = ttl;
        var stream = new StreamConfig
        {
            Name = NatsKVStore.StreamPrefix + config.Bucket,
            Description = config.Description,
            Subjects = [$"$KV.{config.Bucket}.>"],
            MaxMsgsPerSubject = config.History,
            MaxAge = config.Ttl,
            MaxBytes = config.MaxBytes,
            MaxMsgSize = config.MaxValueSize,
            Storage = config.Storage,
            Replicas = config.Replicas,
            AllowRollupHeaders = true,
            DenyDelete = !config.AllowMessageDelete,
            AllowDirect = true,
            Discard = DiscardPolicy.New,
            DuplicateWindow = window,
        };
        await EnsureStreamAsync(stream, cancellationToken).ConfigureAwait(false);
        return new NatsKVStore(this, config.Bucket);
    }

    /// <summary>Opens an existing bucket; <see cref="NatsJSApiException"/> (err_code 10059) when there is none.</summary>
    public async Task<NatsKVStore> GetKeyValueAsync(string bucket, CancellationToken cancellationToken = default)
    {
        NatsKVStore.ValidateBucket(bucket);
        await GetStreamAsync(NatsKVStore.StreamPrefix + bucket, cancellationToken).ConfigureAwait(false);
        return new NatsKVStore(this, bucket);
    }

    public Task<bool> DeleteKeyValueAsync(string bucket, CancellationToken cancellationToken = default)
    {
        NatsKVStore.ValidateBucket(bucket);
        return DeleteStreamAsync(NatsKVStore.StreamPrefix + bucket, cancellationToken);
    }
}
