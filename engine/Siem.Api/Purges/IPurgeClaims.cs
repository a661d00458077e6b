namespace Siem.Api.Purges;

/// <summary>
/// Who may run a purge job now: a job runs under a claim, and only one claim per job exists at a time — across every
/// API process that shares the jobs (<see cref="NatsPurgeClaims"/>), or on one host (<see cref="HostPurgeClaims"/>).
/// </summary>
public interface IPurgeClaims
{
    /// <summary>How long to wait before asking again for a job someone else holds.</summary>
    TimeSpan RetryInterval { get; }

    /// <summary>The claim on the job, or null while another holds it. Errors reaching the claim store propagate.</summary>
    Task<IPurgeClaim?> TryClaimAsync(string jobId, CancellationToken cancellationToken = default);
}
