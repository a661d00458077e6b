namespace Siem.Api.Purges;

/// <summary>A held claim on one purge job; disposing it releases the claim.</summary>
public interface IPurgeClaim : IAsyncDisposable
{
    /// <summary>Cancelled when the claim can no longer be trusted (its lease could not be renewed): the run must stop,
    /// because another process may take the job over.</summary>
    CancellationToken Lost { get; }
}
