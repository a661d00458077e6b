using System.Diagnostics;
using Siem.Core.Security;

namespace Siem.Resilience.Tests.Faults;

/// <summary>
/// A real <c>siem serve --roles engine</c> child process over its own data dir (engine key written there beforehand,
/// enrolled agents in <c>engine/agents.json</c>, SQLite index <c>index.db</c>), killed with SIGKILL by PID.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly List<string> _output = [];
    private Process? _process;
    private bool _shouldRun;

    public string DataDir { get; }
    public string ConfigPath => Path.Combine(DataDir, "..", "siem.yml");
    public string RegistryPath => Path.Combine(DataDir, "engine", "agents.json");
    public string IndexDb => Path.Combine(DataDir, "index.db");
    public int Pid => _process is { HasExited: false } p ? p.Id : 0;
    public bool Died => _shouldRun && _process is { HasExited: true };

    public string Output
    {
        get { lock (_output) return string.Join('\n', _output.TakeLast(40)); }
    }

    private ServeProcess(string dataDir) => DataDir = dataDir;

    /// <summary>Writes the engine key and the server config; <c>ack_wait_ms</c> 5000 so a killed engine's messages come back quickly.</summary>
    public static ServeProcess Create(string dataDir, IReadOnlyList<string> urls, EngineKeyPair key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var serve = new ServeProcess(dataDir);
        Directory.CreateDirectory(Path.Combine(dataDir, "engine"));
        key.Save(Path.Combine(dataDir, "engine", "engine-key.json"));
        File.WriteAllText(serve.ConfigPath, $"""
            server:
              data_dir: {dataDir}
              roles: [engine]
            nats:
              urls: [{string.Join(", ", urls)}]
            rules:
              include_pack: false
            index:
              type: sqlite
            engine:
              ack_wait_ms: 5000
              state_fsync_ms: 1000
            """);
        return serve;
    }

    public void Start()
    {
        _process?.Dispose();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(SiemDll());
        psi.ArgumentList.Add("serve");
        psi.ArgumentList.Add("--config");
        psi.ArgumentList.Add(Path.GetFullPath(ConfigPath));
        var p = new Process { StartInfo = psi };
        p.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.Add(e.Data); };
        p.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.Add(e.Data); };
        p.Start();
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        _process = p;
        _shouldRun = true;
    }

    /// <summary>kill -9 by PID.</summary>
    public void Kill()
    {
        _shouldRun = false;
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: false);
            p.WaitForExit(10_000);
        }
    }

    private static string SiemDll()
    {
        var bin = AppContext.BaseDirectory;
        var candidates = new[]
        {
            Path.GetFullPath(Path.Combine(bin, "..", "..", "Siem.Host", "release", "siem.dll")),
            Path.GetFullPath(Path.Combine(bin, "..", "..", "Siem.Host", "debug", "siem.dll")),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"siem.dll not found (looked in {string.Join(", ", candidates)}); build engine/Siem.Host");
    }

    public void Dispose()
    {
        Kill();
        _process?.Dispose();
    }
}
