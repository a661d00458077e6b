using System.ComponentModel;
using System.Diagnostics;

namespace Siem.Collectors.Sources;

/// <summary>The journalctl child process: start, stderr capture, exit report, stop (by the PID we started).</summary>
public sealed partial class JournaldSource
{
    private void ReportExit(Process process, Queue<string> stderr)
    {
        string tail;
        lock (stderr)
        {
            tail = string.Join(" | ", stderr);
        }

        Stats.AddError();
        LastError = $"'{_options.JournalctlPath}' exited with code {process.ExitCode}: {tail}";
    }

    // Disposing the source ends the enumeration instead of failing it.
    private async ValueTask<int> ReadOrStopAsync(Stream stdout, byte[] buffer, CancellationToken token)
    {
        try
        {
            return await stdout.ReadAsync(buffer, token).ConfigureAwait(false);
        }
        catch (Exception e) when (_stopping.IsCancellationRequested && e is OperationCanceledException or IOException or ObjectDisposedException)
        {
            return 0;
        }
    }

    private Process StartJournalctl(string? cursor, Queue<string> stderr)
    {
        var start = new ProcessStartInfo(_options.JournalctlPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-o", "json", "-f", "--no-pager", cursor is null ? "--since=now" : "--after-cursor=" + cursor])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var argument in _options.Arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var process = new Process { StartInfo = start };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (stderr)
                {
                    stderr.Enqueue(e.Data);
                    while (stderr.Count > StderrLinesKept)
                    {
                        stderr.Dequeue();
                    }
                }
            }
        };

        try
        {
            process.Start();
        }
        catch (Win32Exception e)
        {
            process.Dispose();
            throw new InvalidOperationException($"Cannot start '{_options.JournalctlPath}' for the journald source: {e.Message}. Install systemd's journalctl or set the journalctl path.", e);
        }

        process.BeginErrorReadLine();
        _process = process;
        return process;
    }

    private void Stop(Process process)
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true); // the child we started, by its PID
            }
        }
        catch (InvalidOperationException)
        {
            // already gone
        }

        process.Dispose();
        if (ReferenceEquals(_process, process))
        {
            _process = null;
        }
    }
}
