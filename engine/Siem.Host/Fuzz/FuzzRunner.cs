using System.Diagnostics;

namespace Siem.Host.Fuzz;

/// <summary>What a fuzz run did and found.</summary>
internal sealed record FuzzReport(string Target, int Seed, long Iterations, TimeSpan Elapsed, IReadOnlyList<FuzzFinding> Findings, IReadOnlyDictionary<string, long> Counters)
{
    public bool Hung => Findings.Any(f => f.Kind == "hang");
}

/// <summary>
/// Runs a target's iterations on a dedicated thread with one seeded <see cref="Random"/> until the iteration budget or
/// the time budget is spent (whichever comes first). A watchdog on the calling side reports a hang — one iteration
/// running longer than <c>hangAfter</c> — with the input, instead of blocking forever. Findings stop at
/// <c>maxFindings</c>.
/// </summary>
internal static class FuzzRunner
{
    public static async Task<FuzzReport> RunAsync(FuzzTarget target, int seed, long maxIterations, TimeSpan maxTime, TimeSpan hangAfter, int maxFindings = 20, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(target);
        var findings = new List<FuzzFinding>();
        long iterations = 0;
        long iterationStarted = Stopwatch.GetTimestamp();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var clock = Stopwatch.StartNew();
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var worker = new Thread(() =>
        {
            var mutator = new FuzzMutator(new Random(seed));
            try
            {
                while (!stop.IsCancellationRequested && Interlocked.Read(ref iterations) < maxIterations && clock.Elapsed < maxTime)
                {
                    Volatile.Write(ref iterationStarted, Stopwatch.GetTimestamp());
                    long n = Interlocked.Read(ref iterations);
                    try
                    {
                        target.RunOne(mutator);
                    }
                    catch (FuzzContractException e)
                    {
                        lock (findings) findings.Add(new FuzzFinding(n, "contract", e.Message, target.CurrentInput));
                    }
#pragma warning disable CA1031 // Any exception escaping the code under test is the finding.
                    catch (Exception e)
#pragma warning restore CA1031
                    {
                        lock (findings) findings.Add(new FuzzFinding(n, "exception", $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}", target.CurrentInput));
                    }
                    Interlocked.Increment(ref iterations);
                    lock (findings)
                    {
                        if (findings.Count >= maxFindings) break;
                    }
                }
            }
            finally
            {
                done.TrySetResult();
            }
        }, maxStackSize: 16 * 1024 * 1024)
        { IsBackground = true, Name = $"fuzz-{target.Name}" };
        worker.Start();
        while (!done.Task.IsCompleted)
        {
            await Task.WhenAny(done.Task, Task.Delay(100, CancellationToken.None)).ConfigureAwait(false);
            if (!done.Task.IsCompleted && Stopwatch.GetElapsedTime(Volatile.Read(ref iterationStarted)) > hangAfter)
            {
                // The thread cannot be aborted; it is a background thread, so the process can still exit.
                await stop.CancelAsync().ConfigureAwait(false);
                lock (findings) findings.Add(new FuzzFinding(Interlocked.Read(ref iterations), "hang", $"one iteration ran longer than {hangAfter.TotalSeconds:0.#} s", target.CurrentInput));
                break;
            }
        }
        lock (findings)
        {
            return new FuzzReport(target.Name, seed, Interlocked.Read(ref iterations), clock.Elapsed, [.. findings], new Dictionary<string, long>(target.Counters));
        }
    }
}
