using System.Collections.Concurrent;
using Siem.Lineage.Purge;

namespace Siem.Api.Purges;

/// <summary>
/// Runs approved purges in the background, one run per job at a time, so an HTTP request never waits for a purge of
/// every store. The job file (state, steps, last error) is the status; a failed run can be started again and resumes at
/// the first step not done. Runs stop with the host (the job resumes on the next start or through <c>siem purge resume</c>).
/// </summary>
public sealed class PurgeRunner(PurgeCoordinator coordinator, Action<string>? log = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();

    public PurgeCoordinator Coordinator { get; } = coordinator ?? throw new ArgumentNullException(nameof(coordinator));

    public bool IsRunning(string jobId) => _running.TryGetValue(jobId, out var t) && !t.IsCompleted;

    /// <summary>Starts the job unless it is already running; false when it was.</summary>
    public bool Start(string jobId, string actor)
    {
        var started = false;
        _running.AddOrUpdate(jobId,
            _ => { started = true; return Run(jobId, actor); },
            (_, existing) =>
            {
                if (!existing.IsCompleted) return existing;
                started = true;
                return Run(jobId, actor);
            });
        return started;
    }

    /// <summary>Waits for a running job (tests, shutdown).</summary>
    public Task WhenDoneAsync(string jobId) => _running.TryGetValue(jobId, out var t) ? t : Task.CompletedTask;

    private Task Run(string jobId, string actor) => Task.Run(async () =>
    {
        try
        {
            var result = await Coordinator.RunAsync(jobId, actor, _stop.Token);
            log?.Invoke($"purge {jobId}: certified (verified: {result.Verified})");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            log?.Invoke($"purge {jobId}: stopped with the host; it resumes when run again");
        }
        catch (Exception ex)
        {
            // The coordinator kept the step it stopped at and the error in the job file, which the status shows.
            log?.Invoke($"purge {jobId}: failed: {ex.Message}");
        }
    });

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await Task.WhenAll(_running.Values);
        }
        catch (Exception ex) when (ex is OperationCanceledException)
        {
            // Stopped on purpose.
        }
        _stop.Dispose();
    }
}
