using System.Diagnostics;
using System.Globalization;

namespace Siem.Host.Bench.Soak;

/// <summary>Process facts read from /proc, and signals sent by PID (never by name).</summary>
internal static class SoakNative
{
    /// <summary>Resident set size of <paramref name="pid"/> in bytes (VmRSS of /proc/PID/status); 0 when the process is gone.</summary>
    public static long RssBytes(int pid)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                var kb = line["VmRSS:".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.Parse(kb, CultureInfo.InvariantCulture) * 1024;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return 0;
    }

    /// <summary>Asks <paramref name="pid"/> to stop (SIGTERM) with the system's kill(1); true when the signal was sent.</summary>
    public static bool SendSigterm(int pid)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", pid.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false });
        if (kill == null) return false;
        kill.WaitForExit(5_000);
        return kill.HasExited && kill.ExitCode == 0;
    }
}
