using System.Collections.Concurrent;
using Siem.Lineage.Purge;

namespace Siem.Api.Purges;

/// <summary>
/// Runs approved purges in the background, one run per job at a time, so an HTTP request never waits for a purge of
/// every store. The job file (state, steps, last error) is the status; a failed run can be started again and resumes at
/// the first step not done. Runs stop with the host; <see cref="ResumeInterrupted"/> (called at start) picks up the jobs a
/// stop or crash cut short. Several API processes may share the jobs: a run holds the job's claim
/// (<see cref="IPurgeClaims"/>: cluster-wide through NATS, or per host), so a job never runs twice at once. A process
/// asked to run a job another one holds waits, and takes the job over when that claim expires (its holder died); it
/// stops waiting when the job is certified or another run of it failed.
/// </summary>
public sealed class PurgeRunner(PurgeCoordinator coordinator, Action<string>? log = null, IPurgeClaims? claims = null) : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Task> _running = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly IPurgeClaims _claims = claims ?? new HostPurgeClaims(coordinator.Jobs.Directory);

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

    /// <summary>
    /// Starts every job a stop or crash interrupted (running or verifying, no error recorded); a job that failed waits for
    /// a person to look at its error and run it again. Returns the ids started.
    /// </summary>
    public IReadOnlyList<string> ResumeInterrupted(string actor)
    {
        var interrupted = Coordinator.Jobs.List()
            .Where(j => j.State is PurgeJobState.Running or PurgeJobState.Verifying && j.LastError == null)
            .Select(j => j.Id).ToList();
        foreach (var id in interrupted) Start(id, actor);
        return interrupted;
    }

    /// <summary>Waits for a running job (tests, shutdown).</summary>
    public Task WhenDoneAsync(string jobId) => _running.TryGetValue(jobId, out var t) ? t : Task.CompletedTask;

    private Task Run(string jobId, string actor) => Task.Run(async () =>
    {
        string? errorBefore = Coordinator.Jobs.Load(jobId).LastError;
        bool told = false;
        while (!_stop.IsCancellationRequested)
        {
            IPurgeClaim? claim;
            try
            {
                claim = await _claims.TryClaimAsync(jobId, _stop.Token);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                log?.Invoke($"purge {jobId}: cannot reach the purge claims ({ex.Message}); trying again");
                claim = null;
            }
            if (claim == null)
            {
                if (Finished(jobId, errorBefore)) return;
                if (!told) log?.Invoke($"purge {jobId}: running in another API process; this one takes it over if that one stops");
                told = true;
                await Task.Delay(_claims.RetryInterval, _stop.Token).ContinueWith(_ => { }, TaskScheduler.Default);
                continue;
            }
            await using (claim)
            {
                // Claimed after another process had it: it may have finished (or failed) the job meanwhile.
                if (Finished(jobId, errorBefore)) return;
                if (await RunClaimedAsync(jobId, actor, claim)) return;
            }
        }
    });

    /// <summary>Runs the job under its claim; false when the claim was lost (the job is to be claimed again).</summary>
    private async Task<bool> RunClaimedAsync(string jobId, string actor, IPurgeClaim claim)
    {
        using var run = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token, claim.Lost);
        try
        {
            var result = await Coordinator.RunAsync(jobId, actor, run.Token);
            log?.Invoke($"purge {jobId}: certified (verified: {result.Verified})");
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            log?.Invoke($"purge {jobId}: stopped with the host; it resumes when run again");
        }
        catch (OperationCanceledException) when (claim.Lost.IsCancellationRequested)
        {
            log?.Invoke($"purge {jobId}: stopped: its claim could not be renewed (NATS unreachable), so another process may take it over; resumable");
            return false;
        }
        catch (Exception ex)
        {
            // The coordinator kept the step it stopped at and the error in the job file, which the status shows.
            log?.Invoke($"purge {jobId}: failed: {ex.Message}");
        }
        return true;
    }

    /// <summary>Nothing left for this run: the job is certified, or a run elsewhere failed since this one was asked for.</summary>
    private bool Finished(string jobId, string? errorBefore)
    {
        var job = Coordinator.Jobs.Load(jobId);
        if (job.State == PurgeJobState.Certified) return true;
        if (job.LastError == null || job.LastError == errorBefore) return false;
        log?.Invoke($"purge {jobId}: failed in another API process ({job.LastError}); not retried here");
        return true;
    }

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
