namespace Siem.Lineage.Purge;

/// <summary>
/// The first step of every purge: the subject goes into the durable forward filter before any store is touched, so
/// a running engine drops the subject's records that arrive while (and after) the stores are purged.
/// </summary>
public sealed class ForwardFilterTarget : IPurgeTarget
{
    public string Name => "forward-filter";

    public Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ForwardFilter.Add(scope.DataDir, new ForwardFilterEntry(scope.SubjectId, scope.Field, scope.JobId,
            scope.From?.ToDateTimeOffset(), scope.To?.ToDateTimeOffset(), DateTimeOffset.UtcNow));
        return Task.FromResult(new PurgeStoreResult(Name, Note: "subject added to the forward filter: records still in flight are dropped on arrival"));
    }

    public Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        bool present = ForwardFilter.Read(ForwardFilter.PathFor(scope.DataDir)).Exists(e => e.SubjectId == scope.SubjectId);
        // A missing entry is a failed verification: records in flight would be indexed again.
        return Task.FromResult(new PurgeStoreCheck(Name, 0, present ? 0 : 1, present ? ["entry present"] : ["no forward-filter entry for the subject"]));
    }
}
