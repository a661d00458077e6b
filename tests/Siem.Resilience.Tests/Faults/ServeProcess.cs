using Siem.Core.Security;
using Siem.Host.Bench.Soak;

namespace Siem.Resilience.Tests.Faults;

/// <summary>
/// A real <c>siem serve --roles engine</c> child process over its own data dir (engine key written there beforehand,
/// enrolled agents in <c>engine/agents.json</c>, SQLite index <c>index.db</c>), killed with SIGKILL by PID.
/// </summary>
internal sealed class ServeProcess : IDisposable
{
    private readonly ChildProcess _process;

    public string DataDir { get; }
    public string ConfigPath => Path.Combine(DataDir, "..", "siem.yml");
    public string RegistryPath => Path.Combine(DataDir, "engine", "agents.json");
    public string IndexDb => Path.Combine(DataDir, "index.db");
    public int Pid => _process.Pid;
    public bool Died => _process.Died;
    public string Output => _process.Output;

    private ServeProcess(string dataDir)
    {
        DataDir = dataDir;
        _process = new ChildProcess([SiemDll(), "serve", "--config", Path.GetFullPath(ConfigPath)], keepLines: 40);
    }

    /// <summary>Writes the engine key and the server config; <c>ack_wait_ms</c> 5000 so a killed engine's messages come back quickly.</summary>
    /// <param name="includePack">Load our rule pack (default: no rules, the engine only indexes).</param>
    /// <param name="extraYaml">More top-level sections, e.g. <c>scale_out:</c>.</param>
    /// <param name="replicas">nats.replicas: copies of the streams and buckets the process creates.</param>
    public static ServeProcess Create(string dataDir, IReadOnlyList<string> urls, EngineKeyPair key, bool includePack = false, string extraYaml = "", int replicas = 1)
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
              replicas: {replicas}
            rules:
              include_pack: {(includePack ? "true" : "false")}
            index:
              type: sqlite
            engine:
              ack_wait_ms: 5000
              state_fsync_ms: 1000
            {extraYaml}
            """);
        return serve;
    }

    public void Start() => _process.Start();

    /// <summary>kill -9 by PID.</summary>
    public void Kill() => _process.Kill();

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

    public void Dispose() => _process.Dispose();
}
