using System.Diagnostics;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// A restartable <c>dotnet DLL ARGS</c> child (an agent or a <c>siem serve</c> in soak and fault runs), or <c>EXE ARGS</c>
/// when the first argument is not a .dll (a published single-file agent): output kept for diagnostics, killed with
/// SIGKILL or stopped with SIGTERM by PID, never by name.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly List<string> _output = [];
    private readonly string[] _arguments;
    private readonly int _keepLines;
    private Process? _process;
    private bool _shouldRun;

    public ChildProcess(IEnumerable<string> arguments, int keepLines = 60)
    {
        _arguments = [.. arguments];
        _keepLines = keepLines;
    }

    public int Pid => _process is { HasExited: false } p ? p.Id : 0;
    public bool Running => _process is { HasExited: false };
    /// <summary>The process ended although nobody stopped it (bad config, a crash): its output says why.</summary>
    public bool Died => _shouldRun && _process is { HasExited: true };

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output.TakeLast(_keepLines)); }
    }

    public void Start()
    {
        _process?.Dispose();
        var viaDotnet = _arguments[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase);
        var psi = new ProcessStartInfo(viaDotnet ? "dotnet" : _arguments[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in viaDotnet ? _arguments : _arguments[1..]) psi.ArgumentList.Add(a);
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.Add(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        _shouldRun = true;
    }

    /// <summary>kill -9 by PID: no flush, no graceful anything.</summary>
    public void Kill()
    {
        _shouldRun = false;
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM and wait; SIGKILL when it does not exit in time (returns false then).</summary>
    public bool Stop(TimeSpan timeout)
    {
        _shouldRun = false;
        if (_process is not { HasExited: false } p) return true;
        _ = SoakNative.SendSigterm(p.Id);
        if (p.WaitForExit(timeout)) return true;
        Kill();
        return false;
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }
}
