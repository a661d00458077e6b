using System.Globalization;
using Siem.Engine.Alerts;
using Siem.Engine.Index;
using Siem.Lineage.Purge;

namespace Siem.Engine.Purge;

/// <summary>
/// The index as a purge target: deletes the subject's events (by the record ids the ledger knows and by the value
/// itself, as a whole token, in the original line or any field), deletes alerts that concern only the subject, and
/// redacts alerts that also concern others (the subject's record ids removed, the value replaced in group-by and key
/// fields, the count reduced by the removed records), then makes the deletions final on disk. The same for the SQLite
/// index and for Elasticsearch/OpenSearch (both implement <see cref="IIndexPurge"/>).
/// </summary>
public sealed class IndexPurgeTarget : IPurgeTarget
{
    public const string Redacted = "[redacted]";
    private readonly IIndexPurge _index;

    /// <param name="name">The step and store name in the job and certificate: <c>index</c> (the SQLite index under the
    /// data dir) or <c>elasticsearch</c> (a cluster), so the certificate says which index was purged.</param>
    public IndexPurgeTarget(IIndexPurge index, string name = "index")
    {
        _index = index ?? throw new ArgumentNullException(nameof(index));
        ArgumentException.ThrowIfNullOrEmpty(name);
        Name = name;
    }

    public string Name { get; }

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var matcher = scope.Matcher;
        var ids = await _index.FindRecordIdsAsync(scope.RecordIds, scope.Value, matcher == null ? null : matcher.IsMatch, scope.From, scope.To, scanAll: true, cancellationToken).ConfigureAwait(false);
        scope.RecordIds.UnionWith(ids);
        int events = await _index.DeleteRecordsAsync(ids, cancellationToken).ConfigureAwait(false);

        var redacted = new List<AlertDocument>();
        var deleted = new List<string>();
        foreach (var alert in await _index.FindAlertsAsync([], scope.RecordIds, scope.Value, cancellationToken).ConfigureAwait(false))
        {
            var (concerns, others) = Classify(alert, scope);
            if (!concerns) continue;
            if (others.Count == 0)
            {
                deleted.Add(alert.AlertId);
                continue;
            }
            redacted.Add(Redact(alert, others, scope));
        }
        await _index.RewriteAlertsAsync(redacted, deleted, cancellationToken).ConfigureAwait(false);
        await _index.CompactAsync(cancellationToken).ConfigureAwait(false);
        scope.DeletedAlertIds.UnionWith(deleted);
        scope.RedactedAlertIds.UnionWith(redacted.Select(a => a.AlertId));
        return new PurgeStoreResult(Name, Deleted: events + deleted.Count, Redacted: redacted.Count,
            Note: string.Create(CultureInfo.InvariantCulture, $"{events} events and {deleted.Count} alerts deleted, {redacted.Count} alerts redacted"));
    }

    public async Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(scope);
        var where = new List<string>();
        var byId = await _index.FindRecordIdsAsync(scope.RecordIds, null, null, scope.From, scope.To, scanAll: false, cancellationToken).ConfigureAwait(false);
        long raw = -1;
        if (scope.Matcher is { } m)
        {
            // The full-text index finds what a search would; the byte scan of the data dir checks the rest.
            var byValue = await _index.FindRecordIdsAsync([], scope.Value, m.IsMatch, scope.From, scope.To, scanAll: false, cancellationToken).ConfigureAwait(false);
            raw = byValue.Count;
            if (byValue.Count > 0) where.Add(string.Create(CultureInfo.InvariantCulture, $"events holding the value: {byValue.Count} (first record {byValue[0]})"));
        }
        if (byId.Count > 0) where.Add(string.Create(CultureInfo.InvariantCulture, $"events of the subject still indexed: {byId.Count} (first record {byId[0]})"));
        long alertRaw = 0, alertIds = 0;
        var suspects = await _index.FindAlertsAsync(scope.DeletedAlertIds, scope.RecordIds, scope.Matcher == null ? null : scope.Value, cancellationToken).ConfigureAwait(false);
        foreach (var alert in suspects)
        {
            if (scope.Matcher is { } am && AlertText(alert).Any(am.IsMatch))
            {
                alertRaw++;
                where.Add($"alert {alert.AlertId} holds the value");
            }
            if (scope.DeletedAlertIds.Contains(alert.AlertId) || alert.RecordIds.Any(scope.RecordIds.Contains))
            {
                alertIds++;
                where.Add($"alert {alert.AlertId} still names the subject's records");
            }
        }
        return new PurgeStoreCheck(Name, raw < 0 ? -1 : raw + alertRaw, byId.Count + alertIds, where);
    }

    /// <summary>Whether an alert concerns the subject, and the record ids in it that belong to others.</summary>
    private static (bool Concerns, List<string> Others) Classify(AlertDocument alert, PurgeScope scope)
    {
        var others = alert.RecordIds.Where(id => !scope.RecordIds.Contains(id)).ToList();
        bool byRecord = others.Count < alert.RecordIds.Count;
        bool byValue = scope.Matcher is { } m && AlertText(alert).Any(m.IsMatch)
            && (scope.From == null || alert.LastSeen >= scope.From) && (scope.To == null || alert.FirstSeen < scope.To);
        return (byRecord || byValue, others);
    }

    private static AlertDocument Redact(AlertDocument alert, List<string> others, PurgeScope scope)
    {
        var m = scope.Matcher;
        string Clean(string v) => m == null ? v : m.Replace(v, Redacted);
        int removed = alert.RecordIds.Count - others.Count;
        return alert with
        {
            RecordIds = others,
            GroupBy = alert.GroupBy.ToDictionary(kv => kv.Key, kv => Clean(kv.Value), StringComparer.Ordinal),
            Fields = alert.Fields.ToDictionary(kv => kv.Key, kv => Clean(kv.Value), StringComparer.Ordinal),
            Title = Clean(alert.Title),
            Description = alert.Description == null ? null : Clean(alert.Description),
            Count = Math.Max(1, alert.Count - removed),
        };
    }

    private static IEnumerable<string> AlertText(AlertDocument a) => AlertTexts.Of(a);
}
