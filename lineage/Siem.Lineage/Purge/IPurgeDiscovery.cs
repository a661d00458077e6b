namespace Siem.Lineage.Purge;

/// <summary>A store that knows where the subject's copies are (the lineage ledger): asked first, before any step
/// runs, so every later step can find the subject's records by id, not only by value.</summary>
public interface IPurgeDiscovery
{
    Task DiscoverAsync(PurgeScope scope, CancellationToken cancellationToken = default);
}
