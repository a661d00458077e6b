namespace Siem.Lineage.Purge;

/// <summary>
/// One store a purge erases a subject from (the index, JetStream, the ledger, files under the data dir...).
/// <see cref="PurgeAsync"/> must be idempotent: a resumed job runs an interrupted step again from the start.
/// Errors propagate: a purge step that failed is not complete, and the job stops there to be resumed.
/// </summary>
public interface IPurgeTarget
{
    /// <summary>Stable name, used as the step name in the job file and in the certificate (e.g. <c>index</c>).</summary>
    string Name { get; }

    Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default);

    /// <summary>Searches the store for what the purge must have removed; a clean store reports zero hits.</summary>
    Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default);
}
