using System.Collections.Concurrent;
using Siem.Lineage.Purge;

namespace Siem.Api.Purges;

/// <summary>
/// Runs approved purges in the background, one run per job at a time, so an HTTP request never waits for a purge of
/// every store. The job file (state, steps, last error) is the status; a failed run can be started again and resumes at
/// the first step not done. Runs stop with the host; <see cref="ResumeInterrupted"/> (called at start) picks up the jobs a
/// stop or crash cut short. Several API processes on one host may share a data dir: a run holds an exclusive file lock
/// named after the data dir and the job in the temp folder (not in the data dir, whose every file the purge's byte scan
/// reads), so a job never runs twice at once; processes on different hosts over a network file system are not covered.
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
        using var held = TryLock(jobId);
        if (held == null)
        {
            log?.Invoke($"purge {jobId}: already running in another process on this data dir; not started here");
            return;
        }
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

    /// <summary>The job's run lock (an advisory file lock, released when the process dies), or null when another holds it.</summary>
    private FileStream? TryLock(string jobId)
    {
        var dataDir = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(Coordinator.Jobs.Directory)))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "siem-purge-locks");
        Directory.CreateDirectory(dir);
        try
        {
            return new FileStream(Path.Combine(dir, $"{dataDir}-{jobId}.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            return null;
        }
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
