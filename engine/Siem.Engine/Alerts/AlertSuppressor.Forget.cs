namespace Siem.Engine.Alerts;

public sealed partial class AlertSuppressor
{
    /// <summary>
    /// Purges: closes every open alert that folded one of <paramref name="recordIds"/> (tracked or in its document) or is
    /// one of <paramref name="alertIds"/> (deleted or redacted by the purge), so later matches open a new alert instead
    /// of folding into, and re-indexing, what the purge removed. Returns how many were closed.
    /// </summary>
    public int Forget(IReadOnlySet<string> recordIds, IReadOnlySet<string> alertIds)
    {
        ArgumentNullException.ThrowIfNull(recordIds);
        ArgumentNullException.ThrowIfNull(alertIds);
        var gone = new List<string>();
        foreach (var (key, open) in _open)
        {
            if (alertIds.Contains(open.Doc.AlertId) || open.Records.Overlaps(recordIds) || open.Doc.RecordIds.Any(recordIds.Contains))
                gone.Add(key);
        }
        foreach (var key in gone) _open.Remove(key);
        if (gone.Count > 0) Version++;
        return gone.Count;
    }
}
