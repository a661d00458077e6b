using System.Runtime.InteropServices;

namespace Siem.Engine.Pipeline;

/// <summary>
/// CPU time spent per <see cref="PipelineStage"/>, read from the running thread's CPU clock (Linux; elsewhere it stays
/// zero). Benches print it per event, so a change is judged by CPU and not by wall time on a shared machine. A stage
/// that resumed on another thread (an await that did not complete synchronously) is not counted, only tallied in
/// <see cref="Skipped"/>.
/// </summary>
public sealed class StageCpu
{
    private readonly long[] _nanoseconds = new long[Enum.GetValues<PipelineStage>().Length];
    private long _skipped;

    /// <summary>CPU time counted for a stage so far.</summary>
    public TimeSpan this[PipelineStage stage] => TimeSpan.FromTicks(Interlocked.Read(ref _nanoseconds[(int)stage]) / 100);

    /// <summary>Measurements dropped because the stage ended on another thread than it began.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>"open 12.3, detect 45.6, ... µs/event" over <paramref name="events"/> events.</summary>
    public string PerEvent(long events) => string.Join(", ", Enum.GetValues<PipelineStage>().Select(s =>
        FormattableString.Invariant($"{s.ToString().ToLowerInvariant()} {this[s].TotalMicroseconds / Math.Max(events, 1):0.0}"))) + " µs/event";

    /// <summary>Starts measuring on this thread; dispose the result (on the same thread) to add the time to <paramref name="stage"/>.</summary>
    public Measurement Measure(PipelineStage stage) => new(this, stage, Environment.CurrentManagedThreadId, ThreadNanoseconds());

    public readonly struct Measurement(StageCpu owner, PipelineStage stage, int threadId, long startedAt) : IDisposable
    {
        public void Dispose()
        {
            if (owner == null) return;
            if (Environment.CurrentManagedThreadId != threadId)
            {
                Interlocked.Increment(ref owner._skipped);
                return;
            }
            Interlocked.Add(ref owner._nanoseconds[(int)stage], ThreadNanoseconds() - startedAt);
        }
    }

    private const int ClockThreadCpuTime = 3;

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private static readonly bool Supported = OperatingSystem.IsLinux() && Environment.Is64BitProcess;

    private static long ThreadNanoseconds()
    {
        if (!Supported) return 0;
        return ClockGetTime(ClockThreadCpuTime, out var t) == 0 ? t.Seconds * 1_000_000_000 + t.Nanoseconds : 0;
    }
}
