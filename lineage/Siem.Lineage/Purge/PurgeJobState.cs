namespace Siem.Lineage.Purge;

/// <summary>requested → approved → running (store by store) → verifying → certified; failed keeps the step it stopped at.</summary>
public enum PurgeJobState
{
    Requested,
    Approved,
    Running,
    Verifying,
    Certified,
}
