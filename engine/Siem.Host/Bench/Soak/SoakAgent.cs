using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Siem.Collectors.Agent;
using Siem.Collectors.Enrollment;
using Siem.Core.Security;

namespace Siem.Host.Bench.Soak;

/// <summary>
/// One host agent for soak and fault runs: a state dir enrolled directly against the engine's key and registry
/// (the enrollment round trip has its own tests), a log file it tails, its YAML config, and the real
/// <c>siem-agent run --config</c> child process, killed with SIGKILL by PID when asked.
/// </summary>
internal sealed class SoakAgent : IDisposable
{
    private readonly ChildProcess _process;

    public string AgentId { get; }
    public string Tenant { get; }
    public string Dir { get; }
    public string StateDir => Path.Combine(Dir, "state");
    public string LogPath => Path.Combine(Dir, "input.log");
    public string ConfigPath => Path.Combine(Dir, "agent.yml");
    public string Subject => $"siem.events.{Tenant}.{AgentId}";
    public int Pid => _process.Pid;
    public bool Running => _process.Running;
    /// <summary>The process ended although nobody stopped it (bad config, a crash): its output says why.</summary>
    public bool Died => _process.Died;
    /// <summary>Lines appended to the log file so far.</summary>
    public int LinesWritten { get; private set; }

    public string Output => _process.Output;

    private SoakAgent(string agentId, string tenant, string dir, string? executable)
    {
        AgentId = agentId;
        Tenant = tenant;
        Dir = dir;
        _process = new ChildProcess([executable ?? AgentDll(), "run", "--config", ConfigPath]);
    }

    /// <summary>Creates the agent's identity and enrollment under <paramref name="dir"/> and registers it with the engine.</summary>
    /// <param name="executable">A published <c>siem-agent</c> (deploy/build-agent.sh) to run instead of the built siem-agent.dll.</param>
    public static SoakAgent Enroll(string agentId, string tenant, string dir, EngineKeyPair engineKey, AgentRegistry registry, string? executable = null)
    {
        ArgumentNullException.ThrowIfNull(engineKey);
        ArgumentNullException.ThrowIfNull(registry);
        var agent = new SoakAgent(agentId, tenant, dir, executable);
        Directory.CreateDirectory(agent.StateDir);
        var identity = AgentIdentity.Create(agentId);
        identity.Save(Path.Combine(agent.StateDir, EnrollmentState.IdentityFile));
        new EnrollmentState(agentId, tenant, engineKey.KeyId, Convert.ToBase64String(engineKey.AgreementPublicKey), agent.Subject).Save(agent.StateDir);
        registry.Register(agentId, identity.SigningPublicKey, tenant);
        File.WriteAllText(agent.LogPath, "");
        return agent;
    }

    /// <summary>Writes the agent config: its log file as the one source, the given servers, and an optional spool section.</summary>
    public void WriteConfig(IReadOnlyList<string> urls, string extraYaml = "", int maxRecords = 200, int lingerMs = 50, int maxBatchBytes = 524_288)
    {
        File.WriteAllText(ConfigPath, $"""
            agent:
              state_dir: {StateDir}
            servers:
              urls: [{string.Join(", ", urls)}]
            sources:
              - type: file
                name: input
                paths: [{LogPath}]
            parser:
              timezone: UTC
            batch:
              max_records: {maxRecords}
              max_bytes: {maxBatchBytes}
              linger_ms: {lingerMs}
            delivery:
              max_in_flight: 16
              ack_timeout_ms: 3000
            status_interval_ms: 200
            {extraYaml}
            """);
    }

    /// <summary>The line with number <paramref name="n"/> of this agent: unique (agent id and number), an sshd failure a parser understands,
    /// with the wall-clock time it was written (<c>t=</c>, Unix ms) so latency can be measured at the index.</summary>
    public string Line(int n, long writtenAtMs = 0) => string.Create(CultureInfo.InvariantCulture,
        $"Nov 22 05:{n / 60 % 60:D2}:{n % 60:D2} {AgentId} sshd[{1000 + n % 50}]: Failed password for invalid user u{n} from 10.1.{n / 250 % 250}.{n % 250} port {20000 + n % 40000} ssh2 seq={AgentId}:{n} t={writtenAtMs}");

    /// <summary>Appends the next <paramref name="count"/> lines (one write, so the tail never sees half a line from us).</summary>
    public void AppendLines(int count, long writtenAtMs = 0)
    {
        var sb = new StringBuilder(count * 160);
        for (int i = 0; i < count; i++) sb.Append(Line(LinesWritten + i, writtenAtMs)).Append('\n');
        File.AppendAllText(LogPath, sb.ToString());
        LinesWritten += count;
    }

    public IEnumerable<string> ExpectedLines() => Enumerable.Range(0, LinesWritten).Select(n => Line(n));

    /// <summary>Starts <c>siem-agent run --config</c> as a child process.</summary>
    public void Start()
    {
        if (Running) throw new InvalidOperationException($"agent {AgentId} is already running (pid {Pid})");
        _process.Start();
    }

    /// <summary>kill -9 by PID: no flush, no graceful anything.</summary>
    public void Kill() => _process.Kill();

    /// <summary>SIGTERM and wait: the agent flushes (acks or spool) and exits.</summary>
    public bool Stop(TimeSpan timeout) => _process.Stop(timeout);

    /// <summary>The agent's status.json (rewritten every 200 ms), or null while it is missing or being replaced.</summary>
    public AgentStatus? Status()
    {
        try
        {
            return AgentStatus.Load(StateDir);
        }
        catch (Exception e) when (e is IOException or JsonException or InvalidDataException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>True when the agent checkpointed its whole log file and holds nothing in its spool.</summary>
    public bool CaughtUp() =>
        Status() is { SpoolBatches: 0 } s && s.Pid == Pid && s.Checkpoints.Values.Sum() == new FileInfo(LogPath).Length;

    /// <summary>artifacts/bin/Siem.Agent/&lt;configuration&gt;/siem-agent.dll next to the caller's own output folder.</summary>
    public static string AgentDll()
    {
        var bin = AppContext.BaseDirectory;
        var candidates = new[]
        {
            Path.Combine(bin, "siem-agent.dll"),
            Path.GetFullPath(Path.Combine(bin, "..", "..", "Siem.Agent", "release", "siem-agent.dll")),
            Path.GetFullPath(Path.Combine(bin, "..", "..", "Siem.Agent", "debug", "siem-agent.dll")),
        };
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"siem-agent.dll not found (looked in {string.Join(", ", candidates)}); build collectors/Siem.Agent (dotnet build collectors/Siem.Agent -c Release)");
    }

    public void Dispose() => _process.Dispose();
}
