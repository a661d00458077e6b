using System.Globalization;
using Siem.Lineage.Ledger;

namespace Siem.Lineage.Purge;

/// <summary>
/// The lineage ledger: first the source of the subject's record ids (and the stream messages that carried them), last
/// the store that forgets them, leaving a pseudonymous tombstone (subject id, purge id, counts, time), then the
/// subject's crypto-shredding data key is destroyed so copies nobody can reach stay unreadable.
/// </summary>
public sealed class LedgerPurgeTarget : IPurgeTarget, IPurgeDiscovery
{
    private readonly LineageLedger _ledger;
    private readonly Func<string, CancellationToken, Task<bool>>? _destroyKey;

    /// <param name="destroyKey">Destroys the subject's data key (by subject id); true when a key existed.</param>
    public LedgerPurgeTarget(LineageLedger ledger, Func<string, CancellationToken, Task<bool>>? destroyKey = null)
    {
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _destroyKey = destroyKey;
    }

    public string Name => "ledger";

    public async Task DiscoverAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        scope.RecordIds.UnionWith(await _ledger.RecordIdsOfSubjectAsync(scope.SubjectId, scope.From, scope.To, cancellationToken).ConfigureAwait(false));
    }

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var r = await _ledger.TombstoneSubjectAsync(scope.SubjectId, scope.JobId, scope.From, scope.To, cancellationToken: cancellationToken).ConfigureAwait(false);
        bool shredded = _destroyKey != null && await _destroyKey(scope.SubjectId, cancellationToken).ConfigureAwait(false);
        return new PurgeStoreResult(Name, Deleted: r.RecordCopies + r.AlertsDeleted + r.Deliveries, Redacted: r.AlertsRedacted, Shredded: shredded ? 1 : 0,
            Note: string.Create(CultureInfo.InvariantCulture,
                $"{r.Records} records ({r.RecordCopies} copies), {r.AlertsDeleted} alerts and {r.Deliveries} deliveries removed, {r.AlertsRedacted} alerts unlinked; tombstone kept; data key {(shredded ? "destroyed" : "none held")}"));
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        // Unscoped, nothing may name the subject any more; scoped, only its records inside the scope must be gone.
        long rows = scope.From == null && scope.To == null
            ? await _ledger.CountSubjectRowsAsync(scope.SubjectId, cancellationToken).ConfigureAwait(false)
            : (await _ledger.RecordIdsOfSubjectAsync(scope.SubjectId, scope.From, scope.To, cancellationToken).ConfigureAwait(false)).Count;
        var left = await _ledger.StreamMessagesOfRecordsAsync(scope.RecordIds, cancellationToken).ConfigureAwait(false);
        long copies = left.Sum(m => (long)m.RecordIds.Count);
        var where = new List<string>();
        if (rows > 0) where.Add(string.Create(CultureInfo.InvariantCulture, $"{rows} ledger rows still name the subject"));
        if (copies > 0) where.Add(string.Create(CultureInfo.InvariantCulture, $"{copies} record copies of the subject still in the ledger"));
        // The value never enters the ledger (pseudonymous by construction); the byte scan checks that for real.
        return new PurgeStoreCheck(Name, scope.Value == null ? -1 : 0, rows + copies, where);
    }
}
