using System.Diagnostics;
using System.Globalization;

namespace Siem.Host.Bench;

/// <summary>
/// CPU time used by this process and by another one (read from /proc/&lt;pid&gt;/stat). On a shared, loaded machine
/// wall-clock rates swing with the neighbours; CPU per message does not, so benches print both.
/// </summary>
internal readonly record struct CpuMeter(TimeSpan Self, TimeSpan Other, long StartTicks, (long R, long W) SelfIo, (long R, long W) OtherIo)
{
    public static CpuMeter Start(int otherPid) => new(Process.GetCurrentProcess().TotalProcessorTime, ProcessCpu(otherPid), Stopwatch.GetTimestamp(), Syscalls(Environment.ProcessId), Syscalls(otherPid));

    /// <summary>CPU time used since <see cref="Start"/> by this process and by <paramref name="otherPid"/>.</summary>
    public (TimeSpan Self, TimeSpan Other) Used(int otherPid) => (Process.GetCurrentProcess().TotalProcessorTime - Self, ProcessCpu(otherPid) - Other);

    /// <summary>"client X µs/msg, server Y µs/msg CPU" since <see cref="Start"/>.</summary>
    public string PerMessage(int otherPid, long messages)
    {
        var self = Process.GetCurrentProcess().TotalProcessorTime - Self;
        var other = ProcessCpu(otherPid) - Other;
        var wall = Stopwatch.GetElapsedTime(StartTicks);
        var (sr, sw) = Syscalls(Environment.ProcessId);
        var (or, ow) = Syscalls(otherPid);
        return string.Create(CultureInfo.InvariantCulture,
            $"CPU: client {self.TotalMicroseconds / messages:0.0} µs/msg, server {other.TotalMicroseconds / messages:0.0} µs/msg (client {self.TotalSeconds:0.00} s + server {other.TotalSeconds:0.00} s in {wall.TotalSeconds:0.00} s wall); " +
            $"read/write syscalls per 1000 msgs: client {(sr - SelfIo.R) * 1000.0 / messages:0}/{(sw - SelfIo.W) * 1000.0 / messages:0}, server {(or - OtherIo.R) * 1000.0 / messages:0}/{(ow - OtherIo.W) * 1000.0 / messages:0}");
    }

    /// <summary>syscr/syscw from /proc/&lt;pid&gt;/io (read- and write-like syscalls, sockets included).</summary>
    private static (long R, long W) Syscalls(int pid)
    {
        try
        {
            long r = 0, w = 0;
            foreach (var line in File.ReadLines($"/proc/{pid}/io"))
            {
                if (line.StartsWith("syscr:", StringComparison.Ordinal)) r = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
                else if (line.StartsWith("syscw:", StringComparison.Ordinal)) w = long.Parse(line.AsSpan(6).Trim(), CultureInfo.InvariantCulture);
            }
            return (r, w);
        }
        catch (IOException)
        {
            return (0, 0);
        }
        catch (UnauthorizedAccessException)
        {
            return (0, 0);
        }
    }

    /// <summary>utime + stime of a process; zero when /proc is not readable (non-Linux).</summary>
    public static TimeSpan ProcessCpu(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name; utime and stime are fields 14 and 15 (1-based).
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / 100.0); // USER_HZ is 100 on Linux
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
        catch (UnauthorizedAccessException)
        {
            return TimeSpan.Zero;
        }
    }
}
