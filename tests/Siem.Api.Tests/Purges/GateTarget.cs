using System.Collections.Concurrent;
using Siem.Lineage.Purge;

namespace Siem.Api.Tests.Purges;

/// <summary>
/// A purge step that holds the run until the test opens it, so a test can see which API process runs a job and stop one
/// mid-run. Every entry, cancellation and completion is written to the shared <see cref="Events"/> as "&lt;process&gt; …".
/// </summary>
internal sealed class GateTarget(string process, ConcurrentQueue<string> events) : IPurgeTarget
{
    private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public string Name => "gate";
    public ConcurrentQueue<string> Events => events;

    public void Open() => _open.TrySetResult();

    public async Task<PurgeStoreResult> PurgeAsync(PurgeScope scope, CancellationToken cancellationToken = default)
    {
        events.Enqueue(process + " entered");
        try
        {
            await _open.Task.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            events.Enqueue(process + " cancelled");
            throw;
        }
        events.Enqueue(process + " done");
        return new PurgeStoreResult(Name, Note: "purged by " + process);
    }

    public Task<PurgeStoreCheck> VerifyAsync(PurgeScope scope, CancellationToken cancellationToken = default) =>
        Task.FromResult(new PurgeStoreCheck(Name, 0, 0, []));
}
